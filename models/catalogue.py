"""Reference data kept as data, not code: procedures (mã TTHC) with their fees and required
documents (thành phần hồ sơ), agencies, service points, and the dossier-code format.

The files under `models/data/` are the embedded defaults; a deployment points the settings
at its own copies (the province's publishing decision, its agencies' electronic IDs).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path

from models.calendar import WorkCalendar
from models.dossier import Agency, ServicePoint
from models.kinds import KIND_RULES

# The document kinds a required document may name: those the classifier knows ("other" is not one).
KNOWN_KINDS = frozenset(rule.kind.value for rule in KIND_RULES)


@dataclass(frozen=True, slots=True)
class RequiredDocument:
    """One of a procedure's required documents (thành phần hồ sơ), as its published text lists it.

    `kinds` are the document kinds (models.kinds) that satisfy it when found on a page; an
    empty tuple means no kind our reader knows does, so only a clerk's declaration can.
    See docs/DOMAIN.md#required-documents-and-fees."""

    name: str
    required: bool
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str  # d.dddddd, national
    name: str
    agency: str  # default competent agency (electronic ID)
    processing_days: int  # working days; 0 = same day
    cutoff: time | None  # received at or after this time counts from the next working day
    green_lane: bool  # "làn xanh": shortened by the configured share
    agencies: tuple[str, ...] = ()  # every agency competent for it, the default first
    fee: str = ""  # display text ("Miễn lệ phí", "8.000 đồng/bản"); "" = not stated in the catalogue
    required_documents: tuple[RequiredDocument, ...] = ()

    def is_competent(self, agency: str) -> bool:
        """Whether `agency` may decide this procedure: only those the catalogue lists."""
        return agency == self.agency or agency in self.agencies

    def appointment_date(self, calendar: WorkCalendar, received_local: datetime, green_lane_share: float) -> date:
        share = green_lane_share if self.green_lane else 0.0
        return calendar.appointment_date(received_local, self.processing_days, self.cutoff, share)


@dataclass(frozen=True, slots=True)
class ProcedureCatalogue:
    locality: str
    version: str
    procedures: dict[str, Procedure]

    def get(self, code: str) -> Procedure | None:
        return self.procedures.get(code)


@dataclass(frozen=True, slots=True)
class ReceivingServicePoint:
    point: ServicePoint
    receiving_unit: str  # electronic ID of the unit that issues dossier codes


@dataclass(frozen=True, slots=True)
class Organisation:
    agencies: dict[str, Agency]
    service_points: dict[str, ReceivingServicePoint]


class ReferenceDataError(ValueError):
    """A reference data file that cannot be used: which file, and what is wrong with it."""


def _read(path: Path | None, default_name: str) -> dict:
    name = str(path) if path is not None else default_name
    try:
        if path is not None:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        else:
            raw = json.loads(resources.files("models").joinpath(f"data/{default_name}").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{name}: not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{name}: a JSON object expected")
    return raw


def _required_document(name: str, code: str, item: object) -> RequiredDocument:
    where = f"{name}: procedure {code}"
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
        raise ReferenceDataError(f'{where}: a required document needs a non-empty "name" (got {item!r})')
    doc_name = unicodedata.normalize("NFC", " ".join(item["name"].split()))
    required = item.get("required", True)
    kinds = item.get("kinds", [])
    if not isinstance(required, bool):
        raise ReferenceDataError(f'{where}: required document {doc_name!r}: "required" must be true or false')
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise ReferenceDataError(f'{where}: required document {doc_name!r}: "kinds" must be a list of kind names')
    unknown = [k for k in kinds if k not in KNOWN_KINDS]
    if unknown:
        raise ReferenceDataError(
            f"{where}: required document {doc_name!r}: unknown document kind {unknown[0]!r}"
            f" (known kinds: {', '.join(sorted(KNOWN_KINDS))})"
        )
    return RequiredDocument(doc_name, required, tuple(dict.fromkeys(kinds)))


def _procedure(item: dict, name: str) -> Procedure:
    cutoff = time.fromisoformat(item["cutoff"]) if item.get("cutoff") else None
    agencies = [item["agency"], *(a for a in item.get("agencies", []) if a != item["agency"])]
    code = str(item["code"])
    fee = item.get("fee") or ""
    if not isinstance(fee, str):
        raise ReferenceDataError(f'{name}: procedure {code}: "fee" must be display text, e.g. "Miễn lệ phí"')
    raw_documents = item.get("required_documents") or []
    if not isinstance(raw_documents, list):
        raise ReferenceDataError(f'{name}: procedure {code}: "required_documents" must be a list')
    documents = tuple(_required_document(name, code, doc) for doc in raw_documents)
    seen: set[str] = set()
    for doc in documents:
        if doc.name.casefold() in seen:
            raise ReferenceDataError(f"{name}: procedure {code}: required document {doc.name!r} is listed twice")
        seen.add(doc.name.casefold())
    return Procedure(
        code,
        item["name"],
        item["agency"],
        int(item["processing_days"]),
        cutoff,
        bool(item.get("green_lane")),
        tuple(agencies),
        unicodedata.normalize("NFC", fee.strip()),
        documents,
    )


def load_procedures(path: Path | None = None) -> ProcedureCatalogue:
    raw = _read(path, "procedures.json")
    name = str(path) if path is not None else "procedures.json"
    procedures = {}
    for index, item in enumerate(raw.get("procedures") or []):
        try:
            procedure = _procedure(item, name)
        except ReferenceDataError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ReferenceDataError(f"{name}: procedure #{index + 1}: {exc!r}") from exc
        procedures[procedure.code] = procedure
    return ProcedureCatalogue(raw.get("locality", ""), raw.get("version", ""), procedures)


def load_organisation(path: Path | None = None) -> Organisation:
    raw = _read(path, "organisation.json")
    try:
        agencies = {a["code"]: Agency(a["code"], a["name"]) for a in raw["agencies"]}
        points = {
            p["code"]: ReceivingServicePoint(
                ServicePoint(p["code"], p["name"], p.get("ward_code")), p["receiving_unit"]
            )
            for p in raw["service_points"]
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"{path or 'organisation.json'}: {exc!r}") from exc
    return Organisation(agencies, points)


DEFAULT_DOSSIER_CODE_FORMAT = "{unit}-{yymmdd}-{seq:04d}"


def format_dossier_code(template: str, unit: str, day: date, seq: int) -> str:
    """Mã hồ sơ. The observed convention is {receiving unit's electronic ID}-{yymmdd}-{daily
    sequence, 4 digits in provinces}; Circular 03/2025's clause is unconfirmed, so it is a setting."""
    return template.format(unit=unit, yymmdd=day.strftime("%y%m%d"), yyyymmdd=day.strftime("%Y%m%d"), seq=seq)

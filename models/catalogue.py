"""Reference data kept as data, not code: procedures (mã TTHC), agencies, service points,
and the dossier-code format.

The files under `models/data/` are the embedded defaults; a deployment points the settings
at its own copies (the province's publishing decision, its agencies' electronic IDs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path

from models.calendar import WorkCalendar
from models.dossier import Agency, ServicePoint


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str  # d.dddddd, national
    name: str
    agency: str  # default competent agency (electronic ID)
    processing_days: int  # working days; 0 = same day
    cutoff: time | None  # received at or after this time counts from the next working day
    green_lane: bool  # "làn xanh": shortened by the configured share
    agencies: tuple[str, ...] = ()  # every agency competent for it, the default first

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


def _procedure(item: dict) -> Procedure:
    cutoff = time.fromisoformat(item["cutoff"]) if item.get("cutoff") else None
    agencies = [item["agency"], *(a for a in item.get("agencies", []) if a != item["agency"])]
    return Procedure(
        str(item["code"]),
        item["name"],
        item["agency"],
        int(item["processing_days"]),
        cutoff,
        bool(item.get("green_lane")),
        tuple(agencies),
    )


def load_procedures(path: Path | None = None) -> ProcedureCatalogue:
    raw = _read(path, "procedures.json")
    procedures = {}
    for index, item in enumerate(raw.get("procedures") or []):
        try:
            procedure = _procedure(item)
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceDataError(f"{path or 'procedures.json'}: procedure #{index + 1}: {exc!r}") from exc
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

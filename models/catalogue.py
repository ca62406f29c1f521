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


def _read(path: Path | None, default_name: str) -> dict:
    if path is not None:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return json.loads(resources.files("models").joinpath(f"data/{default_name}").read_text(encoding="utf-8"))


def load_procedures(path: Path | None = None) -> ProcedureCatalogue:
    raw = _read(path, "procedures.json")
    procedures = {}
    for item in raw["procedures"]:
        cutoff = time.fromisoformat(item["cutoff"]) if item.get("cutoff") else None
        procedures[item["code"]] = Procedure(
            item["code"],
            item["name"],
            item["agency"],
            int(item["processing_days"]),
            cutoff,
            bool(item.get("green_lane")),
        )
    return ProcedureCatalogue(raw.get("locality", ""), raw.get("version", ""), procedures)


def load_organisation(path: Path | None = None) -> Organisation:
    raw = _read(path, "organisation.json")
    agencies = {a["code"]: Agency(a["code"], a["name"]) for a in raw["agencies"]}
    points = {
        p["code"]: ReceivingServicePoint(ServicePoint(p["code"], p["name"], p.get("ward_code")), p["receiving_unit"])
        for p in raw["service_points"]
    }
    return Organisation(agencies, points)


DEFAULT_DOSSIER_CODE_FORMAT = "{unit}-{yymmdd}-{seq:04d}"


def format_dossier_code(template: str, unit: str, day: date, seq: int) -> str:
    """Mã hồ sơ. The observed convention is {receiving unit's electronic ID}-{yymmdd}-{daily
    sequence, 4 digits in provinces}; Circular 03/2025's clause is unconfirmed, so it is a setting."""
    return template.format(unit=unit, yymmdd=day.strftime("%y%m%d"), yyyymmdd=day.strftime("%Y%m%d"), seq=seq)

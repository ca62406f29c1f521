"""Dossier codes: `{receiving unit}-{yymmdd}-{daily sequence}` in the receiving unit's local day."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.catalogue import format_dossier_code
from storage.tables import CodeCounterRow


def issue_code(s: Session, code_format: str, unit: str, day: date) -> str:
    """The next code of `unit` on `day` (a Vietnam-time date: the day the citizen sees on the
    receipt, which differs from the UTC date from 17:00 to midnight)."""
    counter = s.get(CodeCounterRow, (unit, day.isoformat()), with_for_update=True)
    if counter is None:
        counter = CodeCounterRow(unit=unit, day=day.isoformat(), value=0)
        s.add(counter)
    counter.value += 1
    s.flush()
    return format_dossier_code(code_format, unit, day, counter.value)

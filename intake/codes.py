"""Dossier codes: `{receiving unit}-{yymmdd}-{daily sequence}` in the receiving unit's local day.

The daily sequence is unique and gapless under any concurrency: one statement inserts the day's
counter row or increments it (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so two first
submits of the day cannot both insert it, and the row stays locked by the submitting transaction
until it commits; a submit that fails rolls its increment back with it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.catalogue import format_dossier_code
from storage.tables import CodeCounterRow


def next_sequence(s: Session, unit: str, day: date) -> int:
    """The next number of `unit`'s sequence on `day`, taken in the caller's transaction."""
    dialect = s.get_bind().dialect.name
    key = [CodeCounterRow.unit, CodeCounterRow.day]
    increment = {"value": CodeCounterRow.value + 1}
    row = {"unit": unit, "day": day.isoformat(), "value": 1}
    if dialect == "postgresql":
        pg = postgresql.insert(CodeCounterRow).values(row)
        statement = pg.on_conflict_do_update(index_elements=key, set_=increment).returning(CodeCounterRow.value)
    elif dialect == "sqlite":
        lite = sqlite.insert(CodeCounterRow).values(row)
        statement = lite.on_conflict_do_update(index_elements=key, set_=increment).returning(CodeCounterRow.value)
    else:
        raise NotImplementedError(f"dossier codes on {dialect}")
    return int(s.execute(statement).scalar_one())


def issue_code(s: Session, code_format: str, unit: str, day: date) -> str:
    """The next code of `unit` on `day` (a Vietnam-time date: the day the citizen sees on the
    receipt, which differs from the UTC date from 17:00 to midnight)."""
    return format_dossier_code(code_format, unit, day, next_sequence(s, unit, day))

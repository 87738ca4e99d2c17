"""The admin's calendar overrides: extra days off and make-up working days (models.CalendarOverride)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from engine import models
from engine.errors import InvalidInput
from engine.runtime import Engine

MAX_NOTE = 255


@dataclass(frozen=True)
class Override:
    day: date
    working: bool
    note: str


def list_overrides(engine: Engine, *, since: date | None = None) -> list[Override]:
    """Every override (from ``since`` on), by date."""
    stmt = select(models.CalendarOverride).order_by(models.CalendarOverride.day)
    if since is not None:
        stmt = stmt.where(models.CalendarOverride.day >= since)
    with engine.Session() as session:
        return [Override(r.day, r.working, r.note or "") for r in session.scalars(stmt)]


def set_override(engine: Engine, day: date, working: bool, note: str = "") -> Override:
    """Make ``day`` a working day or a day off (replacing an earlier override); open deadlines follow."""
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"Ghi chú dài tối đa {MAX_NOTE} ký tự")
    with engine.transaction() as session:
        row = session.get(models.CalendarOverride, day)
        if row is None:
            row = models.CalendarOverride(day=day, working=working, note=note)
            session.add(row)
        else:
            row.working, row.note = working, note
    engine.calendar_changed()  # reloads the calendar and recomputes the open deadlines
    return Override(day, working, note)


def remove_override(engine: Engine, day: date) -> bool:
    """Remove the override of ``day`` (the day follows the ordinary calendar again); False if none."""
    with engine.transaction() as session:
        gone = session.execute(delete(models.CalendarOverride).where(models.CalendarOverride.day == day)
                               .returning(models.CalendarOverride.day)).first()
    if gone is None:
        return False
    engine.calendar_changed()
    return True

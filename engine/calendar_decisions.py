"""Calendar decisions in the database: the shipped ones kept in step, the admin's additions, confirmation.

The calendar reads the shipped files (engine.calendar_data) overlaid with the database's rows of
the same key, so a database that has not been synchronised yet still computes with the shipped
decisions; the rows are what the admin page lists, extends and confirms. Every change reloads
the calendar and recomputes the open due times (``Engine.calendar_changed``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar_data import CalendarData, CalendarDecision, DecisionDay, make_decision, shipped
from engine.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from engine.runtime import Engine

SHIPPED, ADMIN = "shipped", "admin"


@dataclass(frozen=True)
class StoredDecision:
    decision: CalendarDecision
    origin: str
    confirmed_by: str | None

    @property
    def year(self) -> int:
        return self.decision.year


def load_data(session: Session) -> CalendarData:
    """The shipped decisions overlaid with the database's (the database wins for a key)."""
    return shipped().with_decisions([s.decision for s in _stored(session)])


def list_decisions(engine: Engine, *, year: int | None = None) -> list[StoredDecision]:
    """The decisions in the database, newest year first, then by first day; ``year`` filters."""
    with engine.Session() as session:
        found = _stored(session)
    if year is not None:
        found = [s for s in found if s.year == year]
    return sorted(found, key=lambda s: (-s.year, s.decision.days[0].day if s.decision.days else date.min))


def sync_shipped(engine: Engine) -> int:
    """Write the shipped decisions into the database (idempotent); returns how many rows changed.

    A shipped decision an admin confirmed stays confirmed; the admin's own decisions are untouched.
    Open due times are recomputed when anything changed.
    """
    changed = 0
    with engine.transaction() as session:
        rows = {r.key: r for r in session.scalars(select(models.CalendarDecision))}
        for decision in shipped().decisions:
            row = rows.get(decision.key)
            if row is not None and row.origin != SHIPPED:
                continue  # an admin's decision of the same key wins
            if row is not None and _decision_of(session, row) == _as_confirmed(decision, row):
                continue
            _write(session, decision, SHIPPED, engine, row)
            changed += 1
    if changed:
        engine.calendar_changed()
    return changed


def add_decision(engine: Engine, *, number: str, issued_on: date | None, issuer: str, title: str,
                 source: str, confirmed: bool, days: list[tuple[date, bool, str]], actor: str) -> CalendarDecision:
    """Record a decision entered by an admin; open due times follow when it is confirmed."""
    first = min((d for d, _, _ in days), default=None)
    if first is None:
        raise InvalidInput("Quyết định phải có ít nhất một ngày nghỉ hoặc ngày làm bù.")
    digest = hashlib.sha256(f"{number}|{title}".encode()).hexdigest()[:8]
    decision = make_decision(key=f"{first.isoformat()}-{digest}", number=number, issued_on=issued_on,
                             issuer=issuer, title=title, source=source, confirmed=confirmed, days=days)
    with engine.transaction() as session:
        if session.scalar(select(models.CalendarDecision.id).where(models.CalendarDecision.key == decision.key)):
            raise Conflict("Quyết định này đã được ghi (cùng số hiệu, trích yếu và ngày đầu tiên).")
        row = _write(session, decision, ADMIN, engine, None)
        row.confirmed_by = actor if confirmed else None
    if confirmed:
        engine.calendar_changed()
    return decision


def confirm_decision(engine: Engine, key: str, actor: str) -> None:
    """Mark a decision confirmed: from now on its days count in due times (recomputed now)."""
    with engine.transaction() as session:
        row = session.scalar(select(models.CalendarDecision).where(models.CalendarDecision.key == key))
        if row is None:
            raise NotFound(f"Không có quyết định {key!r}.")
        if row.confirmed:
            raise Conflict("Quyết định đã được xác nhận.")
        row.confirmed, row.confirmed_by = True, actor
    engine.calendar_changed()


def _stored(session: Session) -> list[StoredDecision]:
    rows = session.scalars(select(models.CalendarDecision).order_by(models.CalendarDecision.id)).all()
    return [StoredDecision(_decision_of(session, r), r.origin, r.confirmed_by) for r in rows]


def _decision_of(session: Session, row: models.CalendarDecision) -> CalendarDecision:
    days = session.scalars(select(models.CalendarDecisionDay)
                           .where(models.CalendarDecisionDay.decision_id == row.id)
                           .order_by(models.CalendarDecisionDay.day)).all()
    return CalendarDecision(row.key, row.number, row.issued_on, row.issuer, row.title, row.source, row.confirmed,
                            tuple(DecisionDay(d.day, d.working, d.note) for d in days))


def _as_confirmed(decision: CalendarDecision, row: models.CalendarDecision) -> CalendarDecision:
    """The shipped decision as it should be stored: an admin's confirmation is kept."""
    if row.confirmed_by and not decision.confirmed:
        return CalendarDecision(decision.key, decision.number, decision.issued_on, decision.issuer,
                                decision.title, decision.source, True, decision.days)
    return decision


def _write(session: Session, decision: CalendarDecision, origin: str, engine: Engine,
           row: models.CalendarDecision | None) -> models.CalendarDecision:
    if row is None:
        row = models.CalendarDecision(key=decision.key, origin=origin, created_at=engine.now())
        session.add(row)
    stored = _as_confirmed(decision, row)
    row.number, row.issued_on, row.issuer = stored.number, stored.issued_on, stored.issuer
    row.title, row.source, row.confirmed = stored.title, stored.source, stored.confirmed
    session.flush()
    session.execute(delete(models.CalendarDecisionDay).where(models.CalendarDecisionDay.decision_id == row.id))
    session.add_all(models.CalendarDecisionDay(decision_id=row.id, day=d.day, working=d.working, note=d.note)
                    for d in stored.days)
    return row

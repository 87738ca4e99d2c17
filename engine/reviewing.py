"""The review of times, as the web layer and the CLI ask for it: one call each, given the engine.

Who may see a review: leaders (of any agency: a procedure crosses agencies), process designers and
administrators, as for statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import IO, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, models
from engine.accounts import Actor
from engine.calendar import WorkingCalendar
from engine.definitions import Definition
from engine.errors import NotFound, PermissionDenied
from engine.eventlog import FORMATS, traces, write_csv, write_xes
from engine.history_demo import Plan, SimClock, Summary, generate
from engine.review import Review, review
from engine.review_history import History, load
from engine.whatif import what_if

REVIEW_ROLES = ("leader", "designer", "admin")


class _Engine(Protocol):
    def now(self) -> Any: ...
    def calendar(self) -> WorkingCalendar: ...
    def Session(self) -> Session: ...
    def definition(self, definition_id: int) -> Definition: ...


def _allowed(actor: Actor | None) -> None:
    if actor is None or not actor.has(*REVIEW_ROLES):
        raise PermissionDenied("Chỉ lãnh đạo, người thiết kế quy trình và quản trị viên được xem rà soát thời gian.")


def history(engine: _Engine, actor: Actor | None, procedure: str, date_from: date, date_to: date) -> History:
    _allowed(actor)
    with engine.Session() as session:
        return load(session, engine.calendar(), procedure, date_from, date_to, engine.now(),
                    lambda version: {e: spec.name for e, spec in engine.definition(version).steps.items()})


def procedure_review(engine: _Engine, actor: Actor | None, procedure: str, date_from: date,
                     date_to: date) -> Review:
    """Where the days go for ``procedure`` over the period (dossiers received in it)."""
    return review(history(engine, actor, procedure, date_from, date_to))


def procedure_what_if(engine: _Engine, actor: Actor | None, procedure: str, date_from: date, date_to: date,
                      changes: Any) -> dict[str, Any]:
    """The on-time share and total times as they were and as ``changes`` predict them."""
    return what_if(history(engine, actor, procedure, date_from, date_to), changes)


def export_log(engine: _Engine, actor: Actor | None, procedure: str, date_from: date, date_to: date,
               fmt: str, out: IO[str]) -> int:
    """Write the period's event log of ``procedure`` as XES or CSV to ``out``; returns the traces written."""
    if actor is not None:
        _allowed(actor)
    if fmt not in FORMATS:
        raise NotFound(f"Định dạng không hỗ trợ: {fmt} (xes, csv).")
    with engine.Session() as session:
        source = traces(session, engine.calendar(), procedure, date_from, date_to)
        return write_xes(out, procedure, source) if fmt == "xes" else write_csv(out, source)


def has_dossiers(engine: _Engine, procedure: str) -> bool:
    """True when the procedure has received any dossier (the demo history is then left alone)."""
    with engine.Session() as session:
        return session.scalar(select(models.Dossier.id).where(models.Dossier.procedure_code == procedure)
                              .limit(1)) is not None


def demo_history(engine_for: Callable[[SimClock], Any], plan: Plan,
                 progress: Callable[[int], None] | None = None) -> Summary:
    """Generate ``plan`` through an engine whose clock is the simulation's (``engine_for`` makes it)."""
    clock = SimClock(datetime.combine(plan.start, time(0), tzinfo=UTC))
    engine = engine_for(clock)
    with engine.Session() as session:
        officials = [accounts.actor_of(session, row) for row in
                     session.scalars(select(models.Official).where(models.Official.active.is_(True))
                                     .order_by(models.Official.id))]
    return generate(engine, clock, officials, plan, progress)


"""The background worker: fire due timers, mark overdue steps and dossiers, warn before due times,
deliver the outbox to its subscribers (engine.outbox).

Safe to run as several processes against one database: every mark is claimed with an atomic
write (``UPDATE … WHERE overdue_marked_at IS NULL`` for steps after ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL; ``INSERT … ON CONFLICT DO UPDATE … WHERE … IS NULL`` for dossiers), and
the event and notifications are written in the same transaction, so each happens exactly once.
Timers are fired by Engine.fire_timer, which locks the dossier and checks ``fired_at``.

What the dashboard reads (see ``notifications_for``): rows of ``notifications`` per agency,
kinds ``step.due_soon``, ``step.overdue``, ``dossier.due_soon``, ``dossier.overdue``; the same
facts are events in the dossier's log. A step is warned when at most ``warn_lead_days`` working
days remain (default one: Điều 19.9 asks the agency at fault to apologise at least a day before).
Steps waiting for the applicant (step_kind ``supplement``) are never warned or marked.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from engine import models, outbox
from engine.accounts import Actor
from engine.db import dialect_insert
from engine.errors import LienThongError, RetryableConflict
from engine.events import record
from engine.statuses import OPEN_STATES, DossierStatus

if TYPE_CHECKING:
    from engine.runtime import Engine

DEFAULT_WARN_LEAD_DAYS = Decimal(1)
ACTIVE_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING)
BATCH = 200


@dataclass
class WorkerReport:
    """What one pass of the worker did."""

    timers_fired: int = 0
    steps_overdue: int = 0
    dossiers_overdue: int = 0
    steps_warned: int = 0
    dossiers_warned: int = 0
    #: Outbox messages handed to a subscriber, and deliveries that failed and will be retried.
    outbox_delivered: int = 0
    outbox_retried: int = 0
    errors: list[str] = field(default_factory=list)
    #: Some kind filled its whole batch: more may be waiting, and the next pass should not wait.
    backlog: bool = False

    @property
    def changed(self) -> int:
        return (self.timers_fired + self.steps_overdue + self.dossiers_overdue + self.steps_warned
                + self.dossiers_warned + self.outbox_delivered + self.outbox_retried)

    def summary(self) -> str:
        return (f"timers fired {self.timers_fired}, steps overdue {self.steps_overdue}, dossiers overdue "
                f"{self.dossiers_overdue}, steps warned {self.steps_warned}, dossiers warned "
                f"{self.dossiers_warned}, outbox delivered {self.outbox_delivered}, errors {len(self.errors)}")


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    dossier_code: str
    step_id: int | None
    due_at: datetime | None
    message: str
    created_at: datetime
    read_at: datetime | None


def run_once(engine: Engine, *, warn_lead_days: Decimal | int | str = DEFAULT_WARN_LEAD_DAYS,
             batch: int = BATCH) -> WorkerReport:
    """One pass: timers, overdue marks, due-soon warnings. Idempotent."""
    report = WorkerReport()
    for timer_id in engine.due_timers(limit=batch):
        try:
            if engine.fire_timer(timer_id):
                report.timers_fired += 1
        except RetryableConflict:
            continue  # another worker holds the dossier; the next pass sees the timer fired or retries
        except LienThongError as exc:
            report.errors.append(f"timer {timer_id}: {exc}")
    lead = Decimal(str(warn_lead_days))
    for task in (_mark_steps_overdue, _mark_dossiers_overdue, _warn_steps, _warn_dossiers):
        try:
            task(engine, report, lead, batch)
        except RetryableConflict as exc:
            report.errors.append(f"{task.__name__}: {exc}")
    _deliver_outbox(engine, report, batch)
    report.backlog = batch in (report.timers_fired, report.steps_overdue, report.dossiers_overdue,
                               report.steps_warned, report.dossiers_warned, report.outbox_delivered)
    return report


def _deliver_outbox(engine: Engine, report: WorkerReport, batch: int) -> None:
    """Hand the outbox's pending messages to the subscribers; a delivery given up is logged as an event."""
    settings = engine.settings
    done = outbox.deliver(engine.Session, engine.now(), max_attempts=settings.outbox_max_attempts,
                          retry_seconds=settings.outbox_retry_seconds, batch=batch)
    report.outbox_delivered += done.delivered
    report.outbox_retried += done.retried
    for message_id, subscriber, error in done.given_up:
        with engine.unit() as unit:
            unit.record("outbox.given_up", details={"message": message_id, "subscriber": subscriber, "error": error})
        report.errors.append(f"outbox {message_id} → {subscriber}: {error}")


def run_worker(engine: Engine, *, once: bool = False, interval: float = 30.0,
               echo: Callable[[str], Any] = print, stop: threading.Event | None = None,
               warn_lead_days: Decimal | int | str | None = None, batch: int = BATCH) -> None:
    """Run passes every ``interval`` seconds until ``stop`` is set (or SIGTERM/SIGINT in the main thread).

    A pass handles at most ``batch`` items of each kind (short transactions, bounded memory); when
    one filled its batch (a backlog: after an outage, or a holiday declared over many open
    dossiers) the next pass starts at once instead of after ``interval``."""
    if warn_lead_days is None:
        warn_lead_days = engine.settings.warn_lead_days
    own_stop = stop is None
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if own_stop and not once and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.is_set():
            backlog = False
            try:
                report = run_once(engine, warn_lead_days=warn_lead_days, batch=batch)
            except Exception as exc:  # a database outage must not end the worker
                echo(f"worker: pass failed: {type(exc).__name__}: {exc}")
            else:
                if once or report.changed or report.errors:
                    echo(f"worker: {report.summary()}")
                for line in report.errors:
                    echo(f"worker: {line}")
                backlog = report.backlog
            if once or stop.wait(0 if backlog else interval):
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------- passes


def _open_step_ids(session: Session, *conditions: Any, batch: int) -> list[int]:
    S = models.Step
    stmt = (select(S.id).where(S.state.in_(OPEN_STATES), S.step_kind != "supplement", *conditions)
            .order_by(S.id).limit(batch).with_for_update(skip_locked=True, key_share=True))
    return list(session.scalars(stmt))


def _claim_steps(session: Session, ids: list[int], column: str, now: datetime) -> list[Any]:
    if not ids:
        return []
    S = models.Step
    stmt = (update(S).where(S.id.in_(ids), getattr(S, column).is_(None)).values({column: now})
            .returning(S.id, S.dossier_id, S.agency_id, S.due_at, S.name)
            .execution_options(synchronize_session=False))
    return list(session.execute(stmt))


def _mark_steps_overdue(engine: Engine, report: WorkerReport, lead: Decimal, batch: int) -> None:
    now = engine.now()
    with engine.transaction() as session:
        ids = _open_step_ids(session, models.Step.due_at < now, models.Step.overdue_marked_at.is_(None), batch=batch)
        for step_id, dossier_id, agency_id, due_at, name in _claim_steps(session, ids, "overdue_marked_at", now):
            record(session, "step.overdue", now, dossier_id=dossier_id, step_id=step_id,
                   details={"due_at": due_at.isoformat()})
            _notify(session, "step.overdue", [agency_id], dossier_id, step_id, due_at, now,
                    f"Bước '{name}' đã quá hạn")
            report.steps_overdue += 1


def _warn_steps(engine: Engine, report: WorkerReport, lead: Decimal, batch: int) -> None:
    now = engine.now()
    horizon = engine.calendar().add(now, days=lead)
    with engine.transaction() as session:
        S = models.Step
        ids = _open_step_ids(session, S.due_at >= now, S.due_at <= horizon, S.warned_at.is_(None),
                             S.overdue_marked_at.is_(None), batch=batch)
        for step_id, dossier_id, agency_id, due_at, name in _claim_steps(session, ids, "warned_at", now):
            record(session, "step.due_soon", now, dossier_id=dossier_id, step_id=step_id,
                   details={"due_at": due_at.isoformat(), "lead_days": str(lead)})
            _notify(session, "step.due_soon", [agency_id], dossier_id, step_id, due_at, now,
                    f"Bước '{name}' sắp đến hạn")
            report.steps_warned += 1


def _dossier_candidates(session: Session, column: str, *conditions: Any, batch: int) -> list[int]:
    D, T = models.Dossier, models.DossierTracking
    stmt = (select(D.id).outerjoin(T, T.dossier_id == D.id)
            .where(D.status.in_(ACTIVE_STATUSES), getattr(T, column).is_(None), *conditions)
            .order_by(D.id).limit(batch))
    return list(session.scalars(stmt))


def _claim_dossier(session: Session, dossier_id: int, column: str, now: datetime) -> bool:
    T = models.DossierTracking
    stmt = (dialect_insert(session)(T).values({"dossier_id": dossier_id, column: now})
            .on_conflict_do_update(index_elements=["dossier_id"], set_={column: now},
                                   where=getattr(T, column).is_(None))
            .returning(T.dossier_id))
    return session.execute(stmt).first() is not None


def _dossier_agencies(session: Session, dossier: models.Dossier) -> list[int]:
    """Who is told about a dossier: the agencies holding its open steps, and the desk that received it."""
    held = session.scalars(select(models.Step.agency_id).where(
        models.Step.dossier_id == dossier.id, models.Step.state.in_(OPEN_STATES)).order_by(models.Step.id))
    out = list(dict.fromkeys(held))
    if dossier.receiving_agency_id is not None and dossier.receiving_agency_id not in out:
        out.append(dossier.receiving_agency_id)
    return out


def _mark_dossiers_overdue(engine: Engine, report: WorkerReport, lead: Decimal, batch: int) -> None:
    now = engine.now()
    with engine.transaction() as session:
        for dossier_id in _dossier_candidates(session, "overdue_marked_at", models.Dossier.due_at < now, batch=batch):
            if not _claim_dossier(session, dossier_id, "overdue_marked_at", now):
                continue
            dossier = session.get(models.Dossier, dossier_id)
            assert dossier is not None and dossier.due_at is not None
            record(session, "dossier.overdue", now, dossier_id=dossier_id,
                   details={"due_at": dossier.due_at.isoformat()})
            _notify(session, "dossier.overdue", _dossier_agencies(session, dossier), dossier_id, None,
                    dossier.due_at, now, f"Hồ sơ {dossier.code} đã quá hạn trả kết quả")
            report.dossiers_overdue += 1


def _warn_dossiers(engine: Engine, report: WorkerReport, lead: Decimal, batch: int) -> None:
    now = engine.now()
    horizon = engine.calendar().add(now, days=lead)
    D = models.Dossier
    with engine.transaction() as session:
        for dossier_id in _dossier_candidates(session, "warned_at", and_(D.due_at >= now, D.due_at <= horizon),
                                              batch=batch):
            if not _claim_dossier(session, dossier_id, "warned_at", now):
                continue
            dossier = session.get(models.Dossier, dossier_id)
            assert dossier is not None and dossier.due_at is not None
            record(session, "dossier.due_soon", now, dossier_id=dossier_id,
                   details={"due_at": dossier.due_at.isoformat(), "lead_days": str(lead)})
            _notify(session, "dossier.due_soon", _dossier_agencies(session, dossier), dossier_id, None,
                    dossier.due_at, now, f"Hồ sơ {dossier.code} sắp đến hạn trả kết quả")
            report.dossiers_warned += 1


def _notify(session: Session, kind: str, agency_ids: Iterable[int], dossier_id: int, step_id: int | None,
            due_at: datetime, now: datetime, message: str) -> None:
    for agency_id in agency_ids:
        key = f"{kind}:{dossier_id}:{step_id or 0}:{agency_id}:{int(due_at.timestamp())}"
        stmt = dialect_insert(session)(models.Notification).values(
            key=key, kind=kind, agency_id=agency_id, dossier_id=dossier_id, step_id=step_id, due_at=due_at,
            message=message[:500], created_at=now).on_conflict_do_nothing(index_elements=["key"])
        session.execute(stmt)


# ---------------------------------------------------------------------- reads for the dashboard


def notifications_for(engine: Engine, actor: Actor, *, unread_only: bool = True,
                      limit: int = 50) -> list[NotificationView]:
    """The notifications of the official's agency, newest first."""
    N = models.Notification
    stmt = (select(N, models.Dossier.code).join(models.Dossier, models.Dossier.id == N.dossier_id)
            .where(N.agency_id == actor.agency_id))
    if unread_only:
        stmt = stmt.where(N.read_at.is_(None))
    with engine.Session() as session:
        return [NotificationView(n.id, n.kind, code, n.step_id, n.due_at, n.message, n.created_at, n.read_at)
                for n, code in session.execute(stmt.order_by(N.id.desc()).limit(limit))]


def mark_notifications_read(engine: Engine, actor: Actor, ids: Iterable[int]) -> int:
    """Mark notifications of the official's agency read; returns how many changed."""
    N = models.Notification
    wanted = [int(i) for i in ids]
    if not wanted:
        return 0
    with engine.transaction() as session:
        result = session.execute(update(N).where(N.id.in_(wanted), N.agency_id == actor.agency_id,
                                                 N.read_at.is_(None)).values(read_at=engine.now())
                                 .execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

"""The transactional outbox: messages written with the change they announce, handed to subscribers.

A writer calls :func:`publish` inside its transaction (``engine.events.record`` does it for status
changes and step handovers), so a message exists exactly when its change was committed. The
worker (:func:`deliver`) hands every message to every registered subscriber:

- at least once: a delivery is marked done only after the subscriber returned; a crash in between
  delivers the message again once its lease (the retry delay) has passed;
- with an idempotency key, ``"<message id>:<subscriber>"``, the same on every attempt;
- a subscriber that raises is retried after ``outbox_retry_seconds``, doubled each time, and given
  up after ``outbox_max_attempts`` attempts (the delivery row keeps the failure and its error).

Subscribers register by name: ``subscribe("statistics", handler)``; a handler takes a
:class:`Message` and returns nothing. Messages are delivered to one subscriber in id order, but a
retried one may come after later ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.metadata import entry_points
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import db, models
from engine.prepared import Prepared

__all__ = ["DeliveryReport", "Message", "deliver", "load_plugins", "publish", "subscribe", "subscribers", "unsubscribe"]

_OUTBOX = models.OutboxMessage
_DELIVERY = models.OutboxDelivery
_OUTBOX_TABLE: Any = _OUTBOX.__table__
PUBLISH = Prepared(insert(_OUTBOX_TABLE))
MAX_ERROR = 2000


@dataclass(frozen=True)
class Message:
    """One outbox message as a subscriber receives it."""

    id: int
    topic: str
    dossier_id: int | None
    step_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    #: The same on every attempt to deliver this message to this subscriber.
    key: str
    attempt: int


Handler = Callable[[Message], None]
_registry: dict[str, Handler] = {}
_registry_lock = threading.Lock()


def subscribe(name: str, handler: Handler) -> None:
    """Deliver every outbox message to ``handler`` under ``name`` (a stable name: it keys the deliveries)."""
    if not name or len(name) > 64:
        raise ValueError("a subscriber's name has 1 to 64 characters")
    with _registry_lock:
        _registry[name] = handler


def unsubscribe(name: str) -> None:
    with _registry_lock:
        _registry.pop(name, None)


def subscribers() -> dict[str, Handler]:
    with _registry_lock:
        return dict(_registry)


def load_plugins() -> None:
    """Subscribers contributed by installed packages (entry point group ``lienthong.subscribers``:
    ``name = "package.module:handler"``); the worker calls this once at start."""
    for ep in entry_points(group="lienthong.subscribers"):
        subscribe(ep.name, ep.load())


def message(topic: str, at: datetime, *, dossier_id: int | None = None, step_id: int | None = None,
            payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row of one outbox message (for ``PUBLISH``)."""
    return {"topic": topic, "dossier_id": dossier_id, "step_id": step_id, "payload": payload or {}, "created_at": at}


def publish(session: Session, topic: str, at: datetime, *, dossier_id: int | None = None,
            step_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
    """Write one outbox message in the caller's transaction."""
    PUBLISH.executemany(session.connection(), [message(topic, at, dossier_id=dossier_id, step_id=step_id,
                                                       payload=payload)])


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    #: (message id, subscriber, error) of deliveries given up in this pass.
    given_up: list[tuple[int, str, str]] = field(default_factory=list)


def _pending(subscriber: str, now: datetime, limit: int) -> Any:
    """Messages not yet delivered to (nor given up by) ``subscriber`` whose retry time has come."""
    mine = and_(_DELIVERY.outbox_id == _OUTBOX.id, _DELIVERY.subscriber == subscriber)
    settled_or_waiting = exists().where(mine, or_(_DELIVERY.delivered_at.is_not(None), _DELIVERY.failed_at.is_not(None),
                                                  _DELIVERY.next_attempt_at > now))
    return select(_OUTBOX).where(~settled_or_waiting).order_by(_OUTBOX.id).limit(limit)


def deliver(sessions: sessionmaker[Session], now: datetime, *, max_attempts: int, retry_seconds: float,
            batch: int = 100) -> DeliveryReport:
    """One pass: hand pending messages to every subscriber (each message in its own short transactions)."""
    report = DeliveryReport()
    for name, handler in subscribers().items():
        with sessions() as session:
            rows = session.scalars(_pending(name, now, batch)).all()
            session.expunge_all()
        for row in rows:
            _deliver_one(sessions, row, name, handler, now, max_attempts, retry_seconds, report)
    return report


def _deliver_one(sessions: sessionmaker[Session], row: models.OutboxMessage, name: str, handler: Handler,
                 now: datetime, max_attempts: int, retry_seconds: float, report: DeliveryReport) -> None:
    # 1. Take the delivery: count the attempt and lease it until its retry time (committed first,
    #    so a crash while the subscriber runs still counts, and another worker keeps off).
    with sessions() as session, session.begin():
        session.execute(db.insert_ignoring(session, _DELIVERY.__table__),
                        {"outbox_id": row.id, "subscriber": name, "attempts": 0, "last_error": ""})
        attempts = session.scalar(select(_DELIVERY.attempts).where(
            _DELIVERY.outbox_id == row.id, _DELIVERY.subscriber == name))
        assert attempts is not None
        lease = now + timedelta(seconds=retry_seconds * 2 ** attempts)
        taken = session.connection().execute(update(_DELIVERY).where(
            _DELIVERY.outbox_id == row.id, _DELIVERY.subscriber == name, _DELIVERY.attempts == attempts,
            _DELIVERY.delivered_at.is_(None), _DELIVERY.failed_at.is_(None),
            or_(_DELIVERY.next_attempt_at.is_(None), _DELIVERY.next_attempt_at <= now),
        ).values(attempts=attempts + 1, next_attempt_at=lease))
        if taken.rowcount != 1:
            return  # another worker has it
    message = Message(row.id, row.topic, row.dossier_id, row.step_id, dict(row.payload or {}), row.created_at,
                      f"{row.id}:{name}", attempts + 1)
    # 2. Hand it over; 3. record the result.
    try:
        handler(message)
    except Exception as exc:  # a subscriber's failure is recorded, never lost nor fatal
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        gave_up = attempts + 1 >= max_attempts
        with sessions() as session, session.begin():
            session.execute(update(_DELIVERY).where(_DELIVERY.outbox_id == row.id, _DELIVERY.subscriber == name)
                            .values(last_error=error, failed_at=now if gave_up else None))
        if gave_up:
            report.given_up.append((row.id, name, error))
        else:
            report.retried += 1
        return
    with sessions() as session, session.begin():
        session.execute(update(_DELIVERY).where(_DELIVERY.outbox_id == row.id, _DELIVERY.subscriber == name)
                        .values(delivered_at=now, next_attempt_at=None))
    report.delivered += 1

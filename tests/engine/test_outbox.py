"""The outbox: written with the change it announces, delivered to every subscriber at least once
with a stable key, retried with growing delays, given up after a bound, never lost on a crash."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import models, outbox, worker
from engine.errors import PermissionDenied
from engine.runtime import Engine
from engine.settings import Settings
from tests.conftest import World

APPLICANT = {"name": "Võ Văn Em", "id_number": "079123456783"}


@pytest.fixture(autouse=True)
def _no_subscribers() -> Iterator[None]:
    before = outbox.subscribers()
    for name in before:
        outbox.unsubscribe(name)
    yield
    for name in outbox.subscribers():
        outbox.unsubscribe(name)
    for name, handler in before.items():
        outbox.subscribe(name, handler)


def topics(engine: Engine) -> list[str]:
    with engine.Session() as s:
        return list(s.scalars(select(models.OutboxMessage.topic).order_by(models.OutboxMessage.id)))


def deliveries(engine: Engine) -> list[models.OutboxDelivery]:
    with engine.Session() as s:
        return list(s.scalars(select(models.OutboxDelivery).order_by(models.OutboxDelivery.outbox_id)))


def test_status_changes_and_handovers_are_written_with_the_action(engine: Engine, world: World, deployed: str):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    assert topics(engine) == ["dossier.received", "step.ready"]
    step = d.open_steps[0]
    engine.claim(world["clerk"], step.id)
    engine.complete(world["clerk"], step.id, {})
    assert topics(engine)[2:] == ["step.claimed", "step.completed", "step.ready"]


def test_a_refused_action_leaves_no_message(engine: Engine, world: World, deployed: str):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    before = topics(engine)
    with pytest.raises(PermissionDenied):
        engine.claim(world["police"], d.open_steps[0].id)  # another agency's step
    assert topics(engine) == before


def test_every_subscriber_gets_every_message_once_with_a_stable_key(engine: Engine, world: World, deployed: str):
    seen: dict[str, list[str]] = {"a": [], "b": []}
    outbox.subscribe("a", lambda m: seen["a"].append(f"{m.key} {m.topic}"))
    outbox.subscribe("b", lambda m: seen["b"].append(m.key))
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    report = worker.run_once(engine)
    assert report.outbox_delivered == 4
    ids = [m.id for m in _messages(engine)]
    assert seen["a"] == [f"{ids[0]}:a dossier.received", f"{ids[1]}:a step.ready"]
    assert seen["b"] == [f"{ids[0]}:b", f"{ids[1]}:b"]
    assert worker.run_once(engine).outbox_delivered == 0  # nothing twice once delivered
    assert all(d.delivered_at is not None and d.attempts == 1 for d in deliveries(engine))


def _messages(engine: Engine) -> list[models.OutboxMessage]:
    with engine.Session() as s:
        return list(s.scalars(select(models.OutboxMessage).order_by(models.OutboxMessage.id)))


def test_a_failing_subscriber_is_retried_with_doubling_delays_then_given_up(engine: Engine, world: World,
                                                                           deployed: str, clock):
    settings = engine.settings  # the test engine's defaults: 8 attempts, 10 s first delay
    attempts: list[tuple[str, int]] = []

    def flaky(message: outbox.Message) -> None:
        attempts.append((message.key, message.attempt))
        raise ConnectionError("máy chủ thư không trả lời")

    outbox.subscribe("mail", flaky)
    with engine.transaction() as session:
        outbox.publish(session, "dossier.finished", engine.now(), payload={"outcome": "returned"})
    delays = []
    for attempt in range(1, settings.outbox_max_attempts + 1):
        report = worker.run_once(engine)
        assert len(attempts) == attempt
        (row,) = deliveries(engine)
        assert row.attempts == attempt and "máy chủ thư" in row.last_error
        if attempt < settings.outbox_max_attempts:
            assert report.outbox_retried == 1 and row.failed_at is None
            assert worker.run_once(engine).outbox_retried == 0  # not before its delay
            delays.append(row.next_attempt_at - engine.now())
            clock.set(row.next_attempt_at)
    assert delays[:3] == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert len({key for key, _ in attempts}) == 1  # the same idempotency key on every attempt
    assert row.failed_at is not None and report.errors and "mail" in report.errors[0]
    clock.advance(days=30)
    assert worker.run_once(engine).outbox_retried == 0 and len(attempts) == settings.outbox_max_attempts
    with engine.Session() as s:
        gave_up = s.scalars(select(models.Event).where(models.Event.action == "outbox.given_up")).one()
    assert gave_up.details["subscriber"] == "mail"


def test_a_crash_while_delivering_loses_nothing(engine: Engine, world: World, deployed: str, clock):
    """The process dies inside the subscriber (after the delivery was taken, before it was marked
    done): the message is delivered again, with the same key, once the lease has passed."""
    got: list[str] = []

    def dies(message: outbox.Message) -> None:
        raise KeyboardInterrupt  # like a kill: nothing after this line of the worker runs

    outbox.subscribe("stats", dies)
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    with pytest.raises(KeyboardInterrupt):
        worker.run_once(engine)
    outbox.subscribe("stats", lambda m: got.append(m.key))
    assert worker.run_once(engine).outbox_delivered == 1  # the other message; the first is leased
    clock.advance(seconds=engine.settings.outbox_retry_seconds)
    assert worker.run_once(engine).outbox_delivered == 1
    first = _messages(engine)[0].id
    assert f"{first}:stats" in got and len(got) == 2


def _deliver_then_die(url: str, now: datetime) -> None:
    def kill(_message: outbox.Message) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    outbox.subscribe("stats", kill)
    eng = Engine(url, settings=Settings(password_hashing="minimal"), clock=lambda: now)
    worker.run_once(eng)


def test_sigkill_of_the_worker_loses_no_message(engine: Engine, world: World, deployed: str, clock):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    url = engine.db.url.render_as_string(hide_password=False)
    child = multiprocessing.get_context("fork").Process(target=_deliver_then_die, args=(url, engine.now()))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    got: list[str] = []
    outbox.subscribe("stats", lambda m: got.append(m.key))
    clock.advance(minutes=10)  # past any lease the killed worker took
    assert worker.run_once(engine).outbox_delivered == len(_messages(engine)) == 2
    assert sorted(got) == sorted(f"{m.id}:stats" for m in _messages(engine))
    # the message being delivered at the kill was handed over twice (same key), the other once
    assert sorted(d.attempts for d in deliveries(engine)) == [1, 2]

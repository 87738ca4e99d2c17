"""The background worker: timers in working time, overdue marks and due-soon warnings, exactly once."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from engine import models, worker
from engine.runtime import Engine
from tests.conftest import DATA, World, vn

APPLICANT = {"name": "Võ Văn Em", "id_number": "079123456783", "address": "Tuy Phong"}


def deploy_timer(engine: Engine) -> str:
    return engine.deploy((DATA / "timer_wait.bpmn").read_bytes(), filename="timer_wait.bpmn").code


def do(engine: Engine, actor, element: str, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {})


def event_counts(engine: Engine) -> Counter[str]:
    with engine.Session() as s:
        return Counter(dict(s.execute(select(models.Event.action, func.count()).group_by(models.Event.action)).all()))


def test_an_intermediate_timer_waits_in_working_time_then_the_next_step_appears(engine: Engine, world: World,
                                                                                clock):
    code = deploy_timer(engine)
    clock.set(vn(2026, 3, 6, 16, 0))  # Friday 16:00
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    do(engine, world["clerk"], "Post")
    with engine.Session() as s:
        (timer,) = s.scalars(select(models.Timer)).all()
    assert timer.due_at == vn(2026, 3, 9, 16, 0)  # 1 h on Friday, 7 h on Monday (P1D = 8 working hours)
    clock.set(vn(2026, 3, 9, 15, 59))
    assert worker.run_once(engine).timers_fired == 0
    assert [s.element_id for s in engine.dossier(d.code).open_steps] == []
    clock.set(vn(2026, 3, 9, 16, 0))
    report = worker.run_once(engine)
    assert report.timers_fired == 1 and report.errors == []
    (decide,) = engine.inbox(world["officer"])
    assert decide.element_id == "Decide" and decide.ready_at == vn(2026, 3, 9, 16, 0)
    assert decide.due_at == vn(2026, 3, 11, 10, 0)  # 1.5 days: 1 h Mon, 8 h Tue, 3 h Wed
    assert worker.run_once(engine).timers_fired == 0


def test_withdrawal_cancels_a_pending_timer(engine: Engine, world: World, clock):
    code = deploy_timer(engine)
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    do(engine, world["clerk"], "Post")
    engine.withdraw(world["clerk"], d.code, "Rút")
    with engine.Session() as s:
        (timer,) = s.scalars(select(models.Timer)).all()
    assert timer.cancelled_at == clock.now and timer.fired_at is None
    clock.advance(days=7)
    assert worker.run_once(engine).timers_fired == 0


def test_warnings_and_overdue_marks_happen_once(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)  # Mon 2 March 08:00, due Mon 9 March 08:00
    (receive,) = d.open_steps
    assert receive.due_at == vn(2026, 3, 2, 14, 0)
    first = worker.run_once(engine)
    assert (first.steps_warned, first.steps_overdue, first.dossiers_warned, first.dossiers_overdue) == (1, 0, 0, 0)
    assert worker.run_once(engine).changed == 0
    clock.set(vn(2026, 3, 2, 14, 1))
    assert worker.run_once(engine).steps_overdue == 1
    assert worker.run_once(engine).changed == 0
    do(engine, world["clerk"], "Receive")  # Examine: 2 days from 14:01, due Wed 4 March 14:01
    clock.set(vn(2026, 3, 5, 8, 0))  # Thursday: Examine overdue, the dossier due within a working day? no
    report = worker.run_once(engine)
    assert (report.steps_warned, report.steps_overdue, report.dossiers_warned) == (0, 1, 0)
    clock.set(vn(2026, 3, 6, 8, 0))  # Friday 08:00: 8 working hours left until Mon 9 March 08:00
    assert worker.run_once(engine).dossiers_warned == 1
    clock.set(vn(2026, 3, 9, 8, 1))
    assert worker.run_once(engine).dossiers_overdue == 1
    assert worker.run_once(engine).changed == 0
    counts = event_counts(engine)
    assert (counts["step.due_soon"], counts["step.overdue"], counts["dossier.due_soon"],
            counts["dossier.overdue"]) == (1, 2, 1, 1)
    desk = [(n.kind, n.dossier_code) for n in worker.notifications_for(engine, world["clerk"])]
    assert desk == [("dossier.overdue", d.code), ("dossier.due_soon", d.code), ("step.overdue", d.code),
                    ("step.due_soon", d.code)]
    division = worker.notifications_for(engine, world["officer"])
    assert [n.kind for n in division] == ["dossier.overdue", "dossier.due_soon", "step.overdue"]
    assert worker.mark_notifications_read(engine, world["officer"], [n.id for n in division]
                                          + [worker.notifications_for(engine, world["clerk"])[0].id]) == 3
    assert worker.notifications_for(engine, world["officer"]) == []
    assert len(worker.notifications_for(engine, world["officer"], unread_only=False)) == 3
    with engine.Session() as s:
        step = s.get(models.Step, receive.id)
        assert step.warned_at == vn(2026, 3, 2, 8, 0) and step.overdue_marked_at == vn(2026, 3, 2, 14, 1)


def test_supplement_steps_are_never_marked(engine: Engine, world: World, deployed, clock):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    clock.advance(days=30)
    report = worker.run_once(engine)
    assert report.steps_overdue == 0 and report.dossiers_overdue == 0  # the applicant holds the dossier


def test_two_workers_at_once_do_each_thing_exactly_once(engine: Engine, world: World, deployed, clock, db_url):
    code = deploy_timer(engine)
    for _ in range(4):
        engine.start_dossier(world["clerk"], deployed, APPLICANT)
        engine.start_dossier(world["clerk"], code, APPLICANT)
    for step in engine.inbox(world["clerk"]):
        if step.element_id == "Post":
            engine.claim(world["clerk"], step.id)
            engine.complete(world["clerk"], step.id, {})
    clock.set(vn(2026, 3, 20, 8, 0))  # every timer, step and dossier is past due
    second = Engine(db_url, clock=clock)  # another process
    barrier = threading.Barrier(2)
    reports: list[worker.WorkerReport] = []
    failures: list[BaseException] = []

    def run(eng: Engine) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                reports.append(worker.run_once(eng, batch=3))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in (engine, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    second.close()
    assert not failures
    assert sum(r.timers_fired for r in reports) == 4
    counts = event_counts(engine)
    assert counts["timer.fired"] == 4
    with engine.Session() as s:
        overdue_steps = s.scalar(select(func.count()).select_from(models.Step).where(
            models.Step.overdue_marked_at.is_not(None)))
        pending = s.scalar(select(func.count()).select_from(models.Timer).where(models.Timer.fired_at.is_(None)))
        notes = s.scalar(select(func.count()).select_from(models.Notification))
    assert pending == 0
    assert counts["step.overdue"] == overdue_steps == sum(r.steps_overdue for r in reports)
    assert counts["dossier.overdue"] == sum(r.dossiers_overdue for r in reports) == 8  # one per dossier
    report = worker.run_once(engine)
    assert report.changed - report.steps_overdue == 0  # Decide steps that just appeared may be marked now
    assert notes >= counts["step.overdue"]


def test_run_worker_loops_until_stopped(engine: Engine, world: World, deployed):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_worker, args=(engine,),
                              kwargs={"interval": 0.01, "echo": lines.append, "stop": stop})
    thread.start()
    stop.wait(0.3)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert lines and "steps warned 1" in lines[0]
    once: list[str] = []
    worker.run_worker(engine, once=True, echo=once.append)
    assert once == ["worker: timers fired 0, steps overdue 0, dossiers overdue 0, steps warned 0, "
                    ""
        "dossiers warned 0, outbox delivered 0, errors 0"]


def test_a_holiday_declared_while_a_timer_waits_moves_it(engine: Engine, world: World, clock):
    from datetime import date

    from engine.overrides import set_override

    code = deploy_timer(engine)
    clock.set(vn(2026, 3, 6, 16, 0))  # Friday 16:00; P1D = 8 working hours → Monday 16:00
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    do(engine, world["clerk"], "Post")
    set_override(engine, date(2026, 3, 9), working=False, note="Nghỉ bù")  # Monday becomes a day off
    with engine.Session() as s:
        (timer,) = s.scalars(select(models.Timer)).all()
    assert timer.due_at == vn(2026, 3, 10, 16, 0)  # 1 h on Friday, 7 h on Tuesday
    assert event_counts(engine)["timer.due_recomputed"] == 1
    clock.set(vn(2026, 3, 9, 16, 0))
    assert worker.run_once(engine).timers_fired == 0
    clock.set(vn(2026, 3, 10, 16, 0))
    assert worker.run_once(engine).timers_fired == 1
    assert [s.element_id for s in engine.dossier(d.code).open_steps] == ["Decide"]


def test_a_backlog_is_worked_off_in_back_to_back_passes(engine: Engine, world: World, deployed, clock):
    """Five overdue steps, two per pass: the worker does not wait its interval between passes."""
    for _ in range(5):
        engine.start_dossier(world["clerk"], deployed, APPLICANT)
    clock.set(vn(2026, 3, 2, 14, 1))  # every Receive step is now overdue
    lines: list[str] = []
    stop = threading.Event()
    runner = threading.Thread(target=worker.run_worker, args=(engine,),
                              kwargs={"interval": 3600, "echo": lines.append, "stop": stop, "batch": 2})
    runner.start()
    try:
        for _ in range(100):
            if event_counts(engine)["step.overdue"] == 5:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert event_counts(engine)["step.overdue"] == 5
    assert not runner.is_alive()
    assert [line for line in lines if "steps overdue" in line][:3] == [
        "worker: timers fired 0, steps overdue 2, dossiers overdue 0, steps warned 0, "
        "dossiers warned 0, outbox delivered 0, errors 0",
        "worker: timers fired 0, steps overdue 2, dossiers overdue 0, steps warned 0, "
        "dossiers warned 0, outbox delivered 0, errors 0",
        "worker: timers fired 0, steps overdue 1, dossiers overdue 0, steps warned 0, "
        "dossiers warned 0, outbox delivered 0, errors 0"]

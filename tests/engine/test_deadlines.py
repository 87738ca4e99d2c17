"""Appointment and step due times with real dates: Tết, 2/9, the 15:00 cut-off, lunch, calendar changes."""

from __future__ import annotations

from datetime import date

import pytest

from engine import models
from engine.runtime import Engine
from tests.conftest import World, vn

APPLICANT = {"name": "Lê Thị Cúc", "id_number": "079123456781", "address": "La Gi"}


def receive_at(engine: Engine, world: World, clock, when):
    clock.set(when)
    return engine.start_dossier(world["clerk"], "T.000001", APPLICANT)


def test_a_dossier_received_before_tet_2026_is_due_after_the_break(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2026, 2, 12, 9, 0))  # Thu before Tết (14–22 Feb off)
    assert d.counting_from == vn(2026, 2, 12, 9, 0)
    # Thu 6 h + Fri 8 h + Mon 23, Tue 24, Wed 25 (24 h) = 38 h: the last 2 h on Thu 26 February
    assert d.due_at == vn(2026, 2, 26, 9, 0)


def test_a_dossier_received_before_tet_2027_after_the_cutoff(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2027, 2, 3, 16, 0))  # Wed, last working day before 4–10 Feb
    assert d.counting_from == vn(2027, 2, 11, 7, 0)
    assert d.due_at == vn(2027, 2, 17, 17, 0)


@pytest.mark.parametrize(("hh", "mm", "counting_from", "due_at"), [
    (14, 59, vn(2026, 8, 28, 14, 59), vn(2026, 9, 8, 14, 59)),
    (15, 1, vn(2026, 8, 31, 7, 0), vn(2026, 9, 8, 17, 0)),
])
def test_national_day_2026_and_the_1500_cutoff(engine: Engine, world: World, deployed, clock, hh, mm,
                                             counting_from, due_at):
    # Fri 28 August 2026; 1 and 2 September are off. The 31 August swap is not confirmed
    # (workflows/calendar/2026.toml), so Monday 31 August is worked.
    d = receive_at(engine, world, clock, vn(2026, 8, 28, hh, mm))
    assert (d.counting_from, d.due_at) == (counting_from, due_at)


def test_a_half_day_step_runs_across_lunch(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2026, 3, 2, 10, 0))
    (receive,) = d.open_steps
    assert receive.working_days == 0.5
    assert receive.due_at == vn(2026, 3, 2, 16, 0)  # 10:00–11:30 and 13:30–16:00


def test_a_step_ready_on_the_eve_of_national_day_is_due_after_it(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2026, 8, 28, 16, 0))
    assert d.open_steps[0].due_at == vn(2026, 8, 31, 10, 0)  # 1 h on Friday, 3 h on Monday 31 August
    d = receive_at(engine, world, clock, vn(2026, 8, 31, 16, 0))
    assert d.open_steps[0].due_at == vn(2026, 9, 3, 10, 0)  # 1 h on Monday, 3 h on Thursday 3 September


def set_override(engine: Engine, day: date, working: bool, note: str = "") -> None:
    with engine.transaction() as s:
        s.merge(models.CalendarOverride(day=day, working=working, note=note))


def test_calendar_change_recomputes_open_dossiers_and_steps(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2026, 3, 2, 10, 0))  # due Mon 9 March 10:00
    done = receive_at(engine, world, clock, vn(2026, 3, 2, 10, 5))
    assert d.due_at == vn(2026, 3, 9, 10, 0)
    set_override(engine, date(2026, 3, 2), False, "Nghỉ bù")  # the day of receipt becomes a day off
    set_override(engine, date(2026, 3, 5), False, "Nghỉ đột xuất")
    engine.withdraw(world["clerk"], done.code)
    assert engine.calendar_changed() == 2  # the open dossier and its open step; not the withdrawn one
    after = engine.dossier(d.code)
    assert after.counting_from == vn(2026, 3, 3, 7, 0)
    assert after.due_at == after.original_due_at == vn(2026, 3, 10, 17, 0)  # Tue 3, Wed 4, Fri 6, Mon 9, Tue 10
    assert after.open_steps[0].due_at == vn(2026, 3, 3, 11, 0)
    assert engine.dossier(done.code).due_at == vn(2026, 3, 9, 10, 5)
    assert [e.action for e in after.events][-2:] == ["dossier.due_recomputed", "step.due_recomputed"]
    assert engine.calendar_changed() == 0


def test_recompute_keeps_the_apology_extension(engine: Engine, world: World, deployed, clock):
    d = receive_at(engine, world, clock, vn(2026, 3, 2, 8, 0))  # due Mon 9 March 08:00
    step = engine.inbox(world["clerk"])[0]
    engine.claim(world["clerk"], step.id)
    engine.complete(world["clerk"], step.id, {})
    engine.issue_apology(world["lead_pcm"], d.code, "Chờ xác minh", date(2026, 3, 10))  # + 1 day 9 h
    set_override(engine, date(2026, 3, 4), False, "Nghỉ đột xuất")
    engine.calendar_changed()
    after = engine.dossier(d.code)
    assert after.original_due_at == vn(2026, 3, 10, 8, 0)
    assert after.due_at == vn(2026, 3, 11, 17, 0)
    assert engine.dossier_lifecycle(d.code).apology.new_due_at == after.due_at

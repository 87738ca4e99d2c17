"""Statistics: steps per agency and dossiers per procedure, early / on time / late, over a period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine import stats
from engine.errors import InvalidInput
from engine.runtime import Engine
from tests.conftest import World

APPLICANT = {"name": "Trần Thị Bình", "id_number": "079123456780", "phone": "0907654321", "address": "Mũi Né"}
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def do(engine: Engine, actor, element: str, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {})


def journey_with_late_examination(engine: Engine, world: World, clock) -> None:
    engine.start_dossier(world["clerk"], "T.000001", APPLICANT)  # Mon 2 March 08:00, due Mon 9 March
    do(engine, world["clerk"], "Receive")
    clock.advance(days=3)  # Thu 5 March 08:00: Examine was due Wed 4 March 08:00
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    do(engine, world["police"], "Opinion_police")
    do(engine, world["officer2"], "Opinion_div")
    do(engine, world["leader"], "Sign", {"so_quyet_dinh": "12/QĐ-UBND"})
    do(engine, world["clerk2"], "Return")


def compute(engine: Engine, period=MARCH):
    with engine.Session() as s:
        return stats.compute(s, engine.calendar(), *period, engine.now())


def test_a_journey_with_one_late_step(engine: Engine, world: World, deployed: str, clock):
    journey_with_late_examination(engine, world, clock)
    engine.start_dossier(world["clerk"], deployed, APPLICANT)  # still open, due Thu 12 March
    result = compute(engine)

    agencies = {a.code: a for a in result.by_agency}
    assert set(agencies) == {"000.00.15.H12", "PCM", "CA", "LD"}
    pcm = agencies["PCM"]
    assert (pcm.early, pcm.on_time, pcm.late, pcm.completed) == (1, 0, 1, 2)
    desk = agencies["000.00.15.H12"]
    assert (desk.on_time, desk.late, desk.open, desk.overdue) == (2, 0, 1, 0)
    assert (agencies["CA"].early, agencies["LD"].early) == (1, 1)

    (proc,) = result.by_procedure
    assert proc.code == "T.000001" and proc.name == "Thủ tục thử nghiệm ba cơ quan"
    assert (proc.received, proc.early, proc.on_time, proc.late, proc.open, proc.overdue) == (2, 1, 0, 0, 1, 0)
    assert proc.finished == 1
    assert proc.average_working_days == Decimal(3)  # Mon 08:00 → Thu 08:00


def test_overdue_now_and_period_bounds(engine: Engine, world: World, deployed: str, clock):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    clock.advance(days=14)
    result = compute(engine)
    (desk,) = result.by_agency
    assert (desk.open, desk.overdue, desk.completed) == (1, 1, 0)
    (proc,) = result.by_procedure
    assert (proc.received, proc.open, proc.overdue, proc.average_working_days) == (1, 1, 1, None)
    april = compute(engine, (date(2026, 4, 1), date(2026, 4, 30)))
    assert april.by_procedure[0].received == 0 and april.by_procedure[0].open == 1


def test_more_than_one_supplement_counts_late(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    for _ in range(2):
        do(engine, world["clerk"], "Receive")
        do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
        do(engine, world["clerk"], "Supplement")
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "khong_dat"})
    (proc,) = compute(engine).by_procedure
    assert (proc.early, proc.on_time, proc.late) == (0, 0, 1)


def test_empty_database_and_bad_period(engine: Engine):
    result = compute(engine)
    assert result.by_agency == [] and result.by_procedure == []
    with pytest.raises(InvalidInput):
        compute(engine, (date(2026, 3, 31), date(2026, 3, 1)))

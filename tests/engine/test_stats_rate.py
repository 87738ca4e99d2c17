"""The QĐ 766 on-time rate: open overdue dossiers and dossiers carried over from before the period count."""

from __future__ import annotations

from datetime import date

from engine import stats
from engine.runtime import Engine
from tests.conftest import World, vn
from tests.engine.test_stats import APPLICANT, MARCH, facts, finish


def test_five_dossiers_three_open_and_overdue_give_20_percent(engine: Engine, world: World, deployed, clock):
    # Mon 2 March 2026 08:00: five dossiers of a 5-working-day procedure, due Mon 9 March 08:00.
    codes = [engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code for _ in range(5)]
    finish(engine, world, codes[0])  # on the day: early
    clock.set(vn(2026, 3, 10, 8, 0))  # a day after the due time
    finish(engine, world, codes[1])  # late
    # codes[2:]: still open, past their due time
    (row,) = stats.report(facts(engine), "procedure")
    assert (row["early"], row["late"], row["overdue"], row["open"]) == (1, 1, 3, 0)
    assert row["on_time_rate"] == 20.0  # 1 / 5, where (early + on time) / finished would give 50


def test_an_open_dossier_not_yet_due_counts_as_on_time(engine: Engine, world: World, deployed, clock):
    codes = [engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code for _ in range(2)]
    finish(engine, world, codes[0])
    clock.set(vn(2026, 3, 10, 8, 0))
    (row,) = stats.report(facts(engine), "procedure")
    assert (row["early"], row["overdue"], row["on_time_rate"]) == (1, 1, 50.0)
    clock.set(vn(2026, 3, 5, 8, 0))  # before the due time, the open one is being handled on time
    (row,) = stats.report(facts(engine), "procedure")
    assert (row["early"], row["open"], row["on_time_rate"]) == (1, 1, 100.0)


def test_a_dossier_carried_over_from_the_previous_month_counts_in_the_next(engine: Engine, world: World,
                                                                          deployed, clock):
    clock.set(vn(2026, 2, 26, 8, 0))  # Thu 26 February: due Thu 5 March 08:00
    carried = engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code
    clock.set(vn(2026, 3, 2, 8, 0))
    engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    clock.set(vn(2026, 3, 6, 8, 0))  # the carried one is overdue, the new one (due 9 March) is not
    march = facts(engine)
    assert {f.code: (f.carried_over, f.result) for f in march}[carried] == (True, "overdue")
    (row,) = stats.report(march, "procedure")
    assert (row["received"], row["carried_over"], row["on_time_rate"]) == (1, 1, 50.0)
    with engine.Session() as s:  # February, judged at its end: the carried one was then on time
        february = stats.dossier_facts(s, engine.calendar(), date(2026, 2, 1), date(2026, 2, 28), engine.now())
    assert [(f.code, f.result) for f in february] == [(carried, "open")]


def test_the_period_is_judged_at_its_end_not_now(engine: Engine, world: World, deployed, clock):
    code = engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code  # due Mon 9 March 08:00
    clock.set(vn(2026, 4, 2, 8, 0))
    finish(engine, world, code)  # finished late, in April
    (march,) = facts(engine)
    assert march.result == "overdue"  # at the end of March it was open and past due
    assert stats.report(facts(engine), "procedure")[0]["on_time_rate"] == 0.0
    assert MARCH[1] == date(2026, 3, 31)

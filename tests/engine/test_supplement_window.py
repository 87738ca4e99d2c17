"""Decree 61/2018 art. 19.4 (amended by Decree 107/2021): a supplement request during processing
within 3 working days of the agency's receipt; a later one is recorded as late, naming who."""

from __future__ import annotations

from engine.runtime import Engine
from tests.conftest import World, vn
from tests.engine.test_lifecycle import APPLICANT, do

LATE = "dossier.supplement_request_late"


def received_by_the_division_before_tet(engine: Engine, world: World, clock) -> str:
    clock.set(vn(2026, 2, 13, 10, 0))  # Friday before the Tết 2026 break (14-22 February off)
    code = engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code
    do(engine, world["clerk"], "Receive")  # the division's examination is ready at 10:00
    return code


def test_a_request_within_three_working_days_across_tet_is_in_time(engine: Engine, world: World, deployed, clock):
    # 5 h on Fri 13, 8 h on Mon 23 and Tue 24 February, 3 h on Wed 25: the window ends Wed 25 at 10:00.
    code = received_by_the_division_before_tet(engine, world, clock)
    clock.set(vn(2026, 2, 25, 10, 0))
    assert do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"}).status == "waiting_supplement"
    assert LATE not in [e.action for e in engine.dossier(code).events]


def test_a_later_request_is_recorded_as_late_naming_the_agency_and_official(engine: Engine, world: World,
                                                                           deployed, clock):
    code = received_by_the_division_before_tet(engine, world, clock)
    clock.set(vn(2026, 2, 25, 10, 1))
    after = do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    assert after.status == "waiting_supplement"  # the applicant still completes the dossier
    (event,) = [e for e in engine.dossier(code).events if e.action == LATE]
    assert event.details["agency"] == "PCM" and event.details["official"] == "officer"
    assert event.details["step"] == "Thẩm định hồ sơ"
    assert event.details["deadline"] == vn(2026, 2, 25, 10, 0).isoformat()
    assert event.actor_id == world["officer"].id

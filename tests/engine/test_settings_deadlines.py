"""Office hours, lunch break, cut-off and day length come from the settings and move due times."""

from __future__ import annotations

from datetime import time

from engine.runtime import Engine
from tests.conftest import World, vn

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}
SHORT_LUNCH = ((time(7, 30), time(11, 30)), (time(13), time(17)))


def test_a_province_with_other_office_hours_gets_other_due_times(engine: Engine, world: World, deployed, clock):
    clock.set(vn(2026, 3, 2, 10, 0))
    default = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    assert default.open_steps[0].due_at == vn(2026, 3, 2, 16, 0)  # half a day: 10:00-11:30, 13:30-16:00
    other = Engine(settings=engine.settings.with_changes(office_hours=SHORT_LUNCH, cutoff=time(16)), clock=clock)
    try:
        clock.set(vn(2026, 3, 2, 15, 30))  # after 15:00, before this province's 16:00 cut-off
        dossier = other.start_dossier(world["clerk"], "T.000001", APPLICANT)
        assert dossier.counting_from == vn(2026, 3, 2, 15, 30)
        assert dossier.open_steps[0].due_at == vn(2026, 3, 3, 10, 0)  # 15:30-17:00, then 07:30-10:00
    finally:
        other.close()

"""engine.overrides: the admin's extra days off and make-up working days take effect at once."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InvalidInput
from engine.overrides import Override, list_overrides, set_override


def test_set_and_replace_overrides(engine):
    monday, saturday = date(2026, 3, 9), date(2026, 3, 14)
    assert engine.calendar().is_working_day(monday)
    set_override(engine, monday, False, "Nghỉ bù")
    set_override(engine, saturday, True, "  Làm   bù ")
    assert not engine.calendar().is_working_day(monday)
    assert engine.calendar().is_working_day(saturday)
    assert list_overrides(engine) == [Override(monday, False, "Nghỉ bù"), Override(saturday, True, "Làm bù")]
    set_override(engine, monday, True)
    assert engine.calendar().is_working_day(monday)
    assert list_overrides(engine, since=date(2026, 3, 10)) == [Override(saturday, True, "Làm bù")]
    with pytest.raises(InvalidInput):
        set_override(engine, monday, False, "x" * 300)

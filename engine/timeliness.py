"""Early / on time / late: the rule every handover and every dossier is judged by."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.calendar import WorkingCalendar


def timeliness(done_at: datetime, due_at: datetime | None, calendar: WorkingCalendar) -> str | None:
    """'late' after the due time, 'early' on a working day before the due day, else 'on_time'."""
    if due_at is None:
        return None
    if done_at > due_at:
        return "late"
    if calendar.localize(done_at).date() < calendar.localize(due_at).date():
        return "early"
    return "on_time"


def step_due(calendar: WorkingCalendar, ready_at: datetime, working_days: Decimal | int) -> datetime:
    """When a step that became ready at ``ready_at`` is due: its budget in working time after it.

    A step with no budget of its own (returning the result, waiting for a supplement) is due by
    the end of the working day it became ready on, not at the very instant it appeared.
    """
    if Decimal(working_days) > 0:
        return calendar.add(ready_at, days=Decimal(working_days))
    start = calendar.next_working_start(ready_at)
    periods = calendar.working_periods(calendar.localize(start).date())
    return periods[-1][1] if periods else start

"""Early / on time / late: the rule every handover and every dossier is judged by."""

from __future__ import annotations

from datetime import datetime

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

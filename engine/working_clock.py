"""Working time between many pairs of instants at once: the review's measuring stick.

``WorkingCalendar.working_seconds`` walks day by day, which is right for one deadline and too slow for a
year of a procedure's steps. Here the calendar's working periods over a span of days are laid out once as
arrays (each day's periods and the working seconds run before the day), so measuring an instant is an
array look-up: ``working(t)`` is the working time run from the span's start to ``t``, and the working
time between two instants is the difference. The figures are the calendar's own (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput

#: Periods a day may have (office hours are a morning and an afternoon; a rule may add one more).
MAX_PERIODS = 4
#: A span longer than this is refused: it bounds the arrays a request can make.
MAX_SPAN_DAYS = 366 * 12

Seconds = npt.NDArray[np.int64]


class WorkingClock:
    """Working seconds run since the start of ``first`` up to each instant, for instants inside the span."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        if last < first:
            first, last = last, first
        days = (last - first).days + 1
        if days > MAX_SPAN_DAYS:
            raise InvalidInput("Khoảng thời gian rà soát quá dài (tối đa 12 năm).")
        self.first = first
        self.days = days
        self.origin = int(datetime.combine(first, datetime.min.time(), tzinfo=calendar.zone).timestamp())
        starts = np.zeros((days + 1, MAX_PERIODS), dtype=np.int64)
        lengths = np.zeros((days + 1, MAX_PERIODS), dtype=np.int64)
        day_starts = np.zeros(days + 2, dtype=np.int64)
        for i in range(days + 1):
            day = first + timedelta(days=i)
            day_starts[i] = int(datetime.combine(day, datetime.min.time(), tzinfo=calendar.zone).timestamp())
            for k, (a, b) in enumerate(calendar.working_periods(day)[:MAX_PERIODS]):
                starts[i, k] = int(a.timestamp())
                lengths[i, k] = max(0, int(b.timestamp()) - int(a.timestamp()))
        day_starts[days + 1] = int(datetime.combine(first + timedelta(days=days + 1), datetime.min.time(),
                                                    tzinfo=calendar.zone).timestamp())
        used = max(1, int((lengths > 0).sum(axis=1).max()))  # periods actually used (two: morning, afternoon)
        self._starts = starts[:, :used]
        self._lengths = lengths[:, :used]
        self._day_starts = day_starts
        self._before = np.concatenate(([0], np.cumsum(lengths.sum(axis=1))))

    def working(self, instants: Seconds) -> Seconds:
        """Working seconds from the span's start to each instant (epoch seconds); clipped to the span."""
        t = np.clip(instants, self._day_starts[0], self._day_starts[-1] - 1)
        day = np.searchsorted(self._day_starts, t, side="right") - 1
        day = np.clip(day, 0, self.days)
        within = np.clip(t[:, None] - self._starts[day], 0, self._lengths[day]).sum(axis=1)
        result: Seconds = self._before[day] + within
        return result

    def between(self, start: Seconds, end: Seconds) -> Seconds:
        """Working seconds between each pair (0 where ``end`` is not after ``start``)."""
        result: Seconds = np.maximum(self.working(end) - self.working(start), 0)
        return result


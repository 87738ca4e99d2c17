"""Working-day calendar: office hours, weekends, Vietnamese holidays, overrides and due times.

Time limits of administrative procedures are counted in working time (ngày làm việc). A working
day counts ``hours_per_day`` working hours (default 8), so half a day is 4 working hours whatever
the clock says. Working time is measured in whole seconds: an instant with a fraction of a second
is rounded up to the next second, and a budget is rounded to the nearest second (half up), so
``measure(start, add(start, days=x)) == x`` holds exactly whenever ``x`` days is a whole number of
seconds (any multiple of 1/28800 day with the default 8 hours).

A day is a working day when, in this order of precedence:

1. the override table says so (``True`` = make-up working day, ``False`` = extra day off);
2. a confirmed calendar decision says so (engine.calendar_data: the government's yearly swaps);
3. it is neither in ``weekend`` nor a statutory holiday: the ``holidays`` package's list (country
   VN) without its own swapped days (swaps come only from decisions) and without the days the
   data say the law does not have (24 November).

Budgets end *at* a period end rather than at the next period start: 1 working day from Monday
07:00 is Monday 17:00, not Tuesday 07:00.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from engine.calendar_data import CalendarData, shipped
from engine.errors import InvalidInput

__all__ = [
    "CalendarConfig",
    "OfficeHours",
    "WorkingCalendar",
    "parse_datetime",
    "parse_working_days",
]

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
HOLIDAY_COUNTRY = "VN"
# Walking this many days in a row without working time means the configuration has none at all.
_MAX_IDLE_DAYS = 3700
#: The most working days one budget may count, and the years an instant may fall in: beyond them the
#: calendar answers InvalidInput at once (no law sets such limits; these bound the work, see docs/security.md).
MAX_WORKING_DAYS = Decimal(3650)
YEARS = (1900, 2200)
MAX_SPAN_DAYS = 7305  # twenty years: the longest interval whose working time is measured
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_DAY = timedelta(days=1)

Amount = Decimal | int | str | float


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of one working day, as local wall-clock times in increasing order."""

    periods: tuple[tuple[time, time], ...] = ((time(7), time(11, 30)), (time(13, 30), time(17)))

    def __post_init__(self) -> None:
        if not self.periods:
            raise InvalidInput("Giờ làm việc phải có ít nhất một buổi.")
        previous_end: time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise InvalidInput("Giờ làm việc phải là giờ địa phương, không kèm múi giờ.")
            if not start < end:
                raise InvalidInput(
                    f"Buổi làm việc {start:%H:%M}–{end:%H:%M} không hợp lệ: "
                    "giờ bắt đầu phải trước giờ kết thúc."
                )
            if previous_end is not None and start < previous_end:
                raise InvalidInput("Các buổi làm việc phải theo thứ tự thời gian và không chồng lên nhau.")
            previous_end = end

    @property
    def seconds(self) -> int:
        """Total length of the periods in seconds (on a day without a clock change)."""
        return sum(_seconds_of(end) - _seconds_of(start) for start, end in self.periods)


@dataclass(frozen=True)
class CalendarConfig:
    """Settings of a working calendar; ``hours`` holds (valid_from, office hours) rules, None = always."""

    timezone: str = DEFAULT_TIMEZONE
    hours: tuple[tuple[date | None, OfficeHours], ...] = ((None, OfficeHours()),)
    cutoff: time = time(15, 0)
    hours_per_day: Decimal = Decimal(8)
    weekend: frozenset[int] = frozenset({5, 6})

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"Múi giờ không hợp lệ: {self.timezone!r}.") from exc
        if not self.hours:
            raise InvalidInput("Cần ít nhất một quy định giờ làm việc.")
        starts = [valid_from for valid_from, _ in self.hours]
        if len(set(starts)) != len(starts):
            raise InvalidInput("Hai quy định giờ làm việc có cùng ngày áp dụng.")
        hours_per_day = _to_decimal(self.hours_per_day, "Số giờ làm việc mỗi ngày")
        if hours_per_day <= 0 or hours_per_day > 24:
            raise InvalidInput("Số giờ làm việc mỗi ngày phải lớn hơn 0 và không quá 24.")
        object.__setattr__(self, "hours_per_day", hours_per_day)
        weekend = frozenset(self.weekend)
        if not weekend <= set(range(7)) or len(weekend) == 7:
            raise InvalidInput(
                "Ngày nghỉ cuối tuần phải là các thứ 0 (thứ Hai) đến 6 (Chủ nhật), không phải cả tuần."
            )
        object.__setattr__(self, "weekend", weekend)

    @property
    def seconds_per_day(self) -> Decimal:
        """Working seconds that one working day of budget stands for."""
        return self.hours_per_day * 3600


class WorkingCalendar:
    """Answers which days and times are working time, and adds or measures working time."""

    def __init__(
        self,
        config: CalendarConfig | None = None,
        overrides: Mapping[date, bool] | None = None,
        overrides_notes: Mapping[date, str] | None = None,
        data: CalendarData | None = None,
    ):
        config = config or CalendarConfig()
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._overrides = dict(overrides or {})
        self._notes = dict(overrides_notes or {})
        self.data = shipped() if data is None else data
        self._decided = self.data.decided_days()
        # Latest valid_from first; a date before every rule falls back to the earliest rule.
        self._rules = sorted(config.hours, key=lambda rule: rule[0] or date.min, reverse=True)
        self._holidays: dict[int, dict[date, str]] = {}
        self._periods: dict[date, tuple[tuple[int, int], ...]] = {}

    # Days

    def is_working_day(self, d: date) -> bool:
        """True when ``d`` is a working day (overrides, make-up days, weekend and holidays applied)."""
        override = self._overrides.get(d)
        if override is not None:
            return override
        decided = self._decided.get(d)
        if decided is not None:
            return decided[0]
        return d.weekday() not in self.config.weekend and d not in self._holidays_of(d.year)

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name of the holiday or extra day off that makes ``d`` a day off, else None."""
        if self.is_working_day(d):
            return None
        if d in self._notes:
            return self._notes[d]
        name = self._holidays_of(d.year).get(d)
        if name is not None:
            return str(name)
        decided = self._decided.get(d)
        if decided is not None and d not in self._overrides:
            return decided[1]
        if self._overrides.get(d) is False:
            return "Ngày nghỉ bổ sung"
        return None

    def office_hours(self, d: date) -> OfficeHours:
        """The office hours rule in force on ``d``."""
        for valid_from, hours in self._rules:
            if valid_from is None or valid_from <= d:
                return hours
        return self._rules[-1][1]

    def working_periods(self, d: date) -> list[tuple[datetime, datetime]]:
        """The working periods of ``d`` as aware datetimes in the calendar zone (empty on a day off)."""
        return [(self._to_datetime(a), self._to_datetime(b)) for a, b in self._periods_of(d)]

    # Instants

    def is_working_time(self, dt: datetime) -> bool:
        """True when ``dt`` lies inside a working period; both period ends count as inside."""
        local = self.localize(dt)
        return any(a <= local <= b for a, b in self.working_periods(local.date()))

    def next_working_start(self, dt: datetime) -> datetime:
        """``dt`` itself when inside working time, else the start of the next working period."""
        return self._to_datetime(self._advance(_ceil_epoch(self.localize(dt)), 0))

    def counting_start(self, received_at: datetime) -> datetime:
        """When a time limit starts running for a dossier received at ``received_at`` (15:00 cut-off)."""
        seconds = _ceil_epoch(self.localize(received_at))
        local = self._to_datetime(seconds)
        if self.is_working_day(local.date()) and local.time() <= self.config.cutoff:
            return self._to_datetime(self._advance(seconds, 0))
        day = local.date() + _ONE_DAY
        return self._to_datetime(self._advance(self._day_start(day), 0))

    # Arithmetic

    def add(self, start: datetime, *, days: Amount = 0, hours: Amount = 0) -> datetime:
        """The instant when ``days`` working days plus ``hours`` working hours have run from ``start``."""
        return self.add_working_seconds(start, self.budget_seconds(days=days, hours=hours))

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The instant when ``seconds`` seconds of working time have run from ``start``."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise InvalidInput(f"Thời lượng làm việc không hợp lệ: {seconds!r} giây.")
        self._bounded(seconds)
        return self._to_datetime(self._advance(_ceil_epoch(self.localize(start)), seconds))

    def add_duration(self, start: datetime, iso_duration: str) -> datetime:
        """Add an ISO 8601 duration counted in working time (P2D, PT4H, P1W, P1DT4H, PT30M)."""
        return self.add_working_seconds(start, self.duration_seconds(iso_duration))

    def budget_seconds(self, *, days: Amount = 0, hours: Amount = 0) -> int:
        """Working seconds of a budget in days and hours, rounded to the nearest second."""
        day_part = _to_decimal(days, "Số ngày làm việc")
        hour_part = _to_decimal(hours, "Số giờ làm việc")
        if day_part < 0 or hour_part < 0:
            raise InvalidInput("Thời hạn không được âm.")
        total = day_part * self.config.seconds_per_day + hour_part * 3600
        return self._bounded(int(total.to_integral_value(rounding=ROUND_HALF_UP)))

    def duration_seconds(self, iso_duration: str) -> int:
        """Working seconds of an ISO 8601 duration; a week is the number of working weekdays (5)."""
        match = _DURATION.fullmatch(iso_duration.strip()) if isinstance(iso_duration, str) else None
        if match is None or not any(match.groupdict().values()):
            raise InvalidInput(
                f"Khoảng thời gian ISO 8601 không hợp lệ: {iso_duration!r} (ví dụ: P2D, PT4H, P1DT4H)."
            )
        parts = {key: Decimal(value.replace(",", ".")) for key, value in match.groupdict().items() if value}
        if parts.get("years") or parts.get("months"):
            raise InvalidInput(
                f"Không dùng được năm hoặc tháng trong thời hạn làm việc: {iso_duration!r}; "
                "hãy ghi bằng ngày (D) hoặc giờ (H)."
            )
        zero = Decimal(0)
        days = parts.get("days", zero) + parts.get("weeks", zero) * (7 - len(self.config.weekend))
        total = (
            days * self.config.seconds_per_day
            + parts.get("hours", zero) * 3600
            + parts.get("minutes", zero) * 60
            + parts.get("seconds", zero)
        )
        return self._bounded(int(total.to_integral_value(rounding=ROUND_HALF_UP)))

    def _bounded(self, seconds: int) -> int:
        """``seconds`` of working time, refused beyond :data:`MAX_WORKING_DAYS` working days."""
        if seconds > MAX_WORKING_DAYS * self.config.seconds_per_day:
            raise InvalidInput(f"Thời hạn vượt giới hạn {MAX_WORKING_DAYS:,} ngày làm việc.".replace(",", "."))
        return seconds

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Seconds of working time between ``start`` and ``end`` (0 when ``end`` is not after ``start``)."""
        s = _ceil_epoch(self.localize(start))
        e = _ceil_epoch(self.localize(end))
        if e <= s:
            return 0
        if e - s > MAX_SPAN_DAYS * 86400:
            raise InvalidInput(f"Khoảng thời gian dài hơn {MAX_SPAN_DAYS // 365} năm: không đo thời gian làm việc.")
        total = 0
        day = self._local_date(s)
        last = self._local_date(e)
        while day <= last:
            for a, b in self._periods_of(day):
                total += max(0, min(b, e) - max(a, s))
            day += _ONE_DAY
        return total

    def measure(self, start: datetime, end: datetime) -> Decimal:
        """Working time between ``start`` and ``end`` in working days."""
        return Decimal(self.working_seconds(start, end)) / self.config.seconds_per_day

    def due(self, received_at: datetime, working_days: Amount) -> datetime:
        """Due time of a dossier received at ``received_at`` with a limit of ``working_days``."""
        return self.add(self.counting_start(received_at), days=working_days)

    # Conversions

    def localize(self, dt: datetime) -> datetime:
        """``dt`` as an aware datetime in the calendar zone; a naive ``dt`` is taken as local time."""
        if not isinstance(dt, datetime):
            raise InvalidInput(f"Cần một thời điểm (datetime), nhận được {dt!r}.")
        if not YEARS[0] <= dt.year <= YEARS[1]:
            raise InvalidInput(f"Thời điểm {dt.date().isoformat()} nằm ngoài các năm {YEARS[0]}–{YEARS[1]}.")
        if dt.tzinfo is None or dt.utcoffset() is None:
            return dt.replace(tzinfo=self.zone)
        return dt.astimezone(self.zone)

    # Internals

    def _advance(self, start: int, budget: int) -> int:
        """Earliest instant by which ``budget`` working seconds have run from ``start`` (epoch seconds)."""
        day = self._local_date(start)
        idle = 0
        while True:
            periods = self._periods_of(day)
            idle = 0 if periods else idle + 1
            if idle > _MAX_IDLE_DAYS:
                raise InvalidInput("Lịch làm việc không còn ngày làm việc nào trong nhiều năm tới.")
            for a, b in periods:
                if b < start:
                    continue
                begin = max(a, start)
                available = b - begin
                if budget <= available:
                    return begin + budget
                budget -= available
            day += _ONE_DAY

    def _periods_of(self, d: date) -> tuple[tuple[int, int], ...]:
        """Working periods of ``d`` as epoch seconds, cached."""
        cached = self._periods.get(d)
        if cached is None:
            if self.is_working_day(d):
                cached = tuple(
                    (self._epoch_of(d, start), self._epoch_of(d, end))
                    for start, end in self.office_hours(d).periods
                )
            else:
                cached = ()
            self._periods[d] = cached
        return cached

    def _day_start(self, d: date) -> int:
        return self._epoch_of(d, time(0))

    def _epoch_of(self, d: date, t: time) -> int:
        return _ceil_epoch(datetime.combine(d, t, tzinfo=self.zone))

    def _to_datetime(self, seconds: int) -> datetime:
        return (_EPOCH + timedelta(seconds=seconds)).astimezone(self.zone)

    def _local_date(self, seconds: int) -> date:
        return self._to_datetime(seconds).date()

    def _holidays_of(self, year: int) -> dict[date, str]:
        """The statutory holidays of ``year``: the package's list less its swaps and the corrected names."""
        cached = self._holidays.get(year)
        if cached is None:
            package = holidays.country_holidays(HOLIDAY_COUNTRY, years=year, language="vi", expand=False)
            dropped = self.data.not_holidays
            cached = {day: str(name) for day, name in package.items()
                      if _SWAP_LABEL not in str(name) and not str(name).startswith(dropped)}
            self._holidays[year] = cached
        return cached


#: The package's label of a swapped day ("Ngày nghỉ (thay cho ngày 26/04/2025)"): swaps come from data.
_SWAP_LABEL = "thay cho ngày"

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?",
    re.IGNORECASE,
)
_WORKING_DAYS = re.compile(r"\d+(?:[.,]\d+)?")


def parse_working_days(text: str) -> Decimal:
    """A number of working days as written by people: "5", "0.5", "0,5" (decimal comma), "2.25"."""
    cleaned = text.strip() if isinstance(text, str) else ""
    if not _WORKING_DAYS.fullmatch(cleaned):
        raise InvalidInput(
            f"Số ngày làm việc không hợp lệ: {text!r}. Hãy nhập một số không âm, ví dụ 5, 0,5 hoặc 2.25."
        )
    return Decimal(cleaned.replace(",", "."))


def parse_datetime(text: str, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """An ISO 8601 date-time as an aware datetime in ``tz``; a naive text is local time in ``tz``."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Múi giờ không hợp lệ: {tz!r}.") from exc
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError) as exc:
        raise InvalidInput(
            f"Thời điểm không hợp lệ: {text!r}. Hãy ghi theo ISO 8601, "
            "ví dụ 2026-02-10T14:30 hoặc 2026-02-10T14:30+07:00."
        ) from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone)


def _to_decimal(value: object, what: str) -> Decimal:
    """A budget amount as a Decimal; floats go through their shortest text so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} không hợp lệ: {value!r}.")
    if isinstance(value, str):
        return parse_working_days(value)
    try:
        if isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            result = Decimal(value)
        else:
            raise InvalidInput(f"{what} không hợp lệ: {value!r}.")
    except InvalidOperation as exc:
        raise InvalidInput(f"{what} không hợp lệ: {value!r}.") from exc
    if not result.is_finite():
        raise InvalidInput(f"{what} không hợp lệ: {value!r}.")
    return result


def _seconds_of(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _ceil_epoch(dt: datetime) -> int:
    """Seconds since the Unix epoch of an aware ``dt``, rounded up to a whole second, exactly."""
    delta = dt - _EPOCH
    return delta.days * 86400 + delta.seconds + (1 if delta.microseconds else 0)

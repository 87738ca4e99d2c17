"""Working calendar: real 2026–2027 Vietnamese holidays, cut-off, overrides, seasons and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import CalendarConfig, OfficeHours, WorkingCalendar, parse_datetime, parse_working_days
from engine.errors import InvalidInput

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar()

SUMMER = OfficeHours(((time(7), time(11, 30)), (time(13, 30), time(17))))
WINTER = OfficeHours(((time(7, 30), time(11, 30)), (time(13), time(17))))
SEASONAL = WorkingCalendar(
    CalendarConfig(hours=((None, WINTER), (date(2026, 4, 15), SUMMER), (date(2026, 10, 15), WINTER))),
    overrides={date(2026, 3, 7): True, date(2026, 3, 9): False},
)


def at(text: str) -> datetime:
    """A local Vietnamese time written as ISO 8601 without offset."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


# The holidays package, as the calendar sees it


def test_tet_2026_break_matches_the_announced_nine_days_off() -> None:
    # Government announcement: civil servants off Saturday 14/2 to Sunday 22/2/2026.
    days = [date(2026, 2, 13) + timedelta(days=i) for i in range(11)]
    assert [CAL.is_working_day(d) for d in days] == [True] + [False] * 9 + [True]
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert CAL.holiday_name(date(2026, 2, 14)) is None  # an ordinary Saturday


@pytest.mark.parametrize(
    ("day", "name_part"),
    [
        (date(2026, 1, 1), "Tết Dương lịch"),
        (date(2026, 4, 27), "Hùng Vương"),  # 10/3 lunar falls on Sunday 26/4: observed on Monday
        (date(2026, 4, 30), "Chiến thắng"),
        (date(2026, 5, 1), "Lao động"),
        (date(2026, 9, 1), "Quốc khánh"),
        (date(2026, 9, 2), "Quốc khánh"),
        (date(2027, 2, 4), "29 Tết"),
        (date(2027, 2, 10), "Mùng năm"),
        (date(2027, 4, 16), "Hùng Vương"),
        (date(2027, 9, 3), "Quốc khánh"),
    ],
)
def test_public_holidays_are_days_off_with_a_vietnamese_name(day: date, name_part: str) -> None:
    assert not CAL.is_working_day(day)
    name = CAL.holiday_name(day)
    assert name is not None and name_part in name


def test_make_up_saturday_of_a_confirmed_decision_is_a_working_day() -> None:
    # 12729/VPCP-KGVX (25/12/2025): Friday 2/1/2026 off, Saturday 10/1/2026 worked instead.
    assert not CAL.is_working_day(date(2026, 1, 2))
    assert CAL.is_working_day(date(2026, 1, 10))
    assert CAL.working_periods(date(2026, 1, 10)) == [
        (at("2026-01-10T07:00"), at("2026-01-10T11:30")),
        (at("2026-01-10T13:30"), at("2026-01-10T17:00")),
    ]
    assert not CAL.is_working_day(date(2026, 1, 17))
    assert CAL.working_periods(date(2026, 1, 17)) == []


def test_a_swap_that_is_not_confirmed_moves_no_day() -> None:
    # The package swaps 31/8 with 22/8/2026; no government letter was found, so the data mark it
    # unconfirmed and both days keep their ordinary status.
    assert CAL.is_working_day(date(2026, 8, 31))
    assert not CAL.is_working_day(date(2026, 8, 22))


def test_vietnam_culture_day_is_not_a_day_off_until_the_labour_code_says_so() -> None:
    assert CAL.is_working_day(date(2026, 11, 24))
    assert CAL.is_working_day(date(2027, 11, 24))
    assert CAL.holiday_name(date(2026, 11, 24)) is None


# Due dates across real holidays


def test_dossier_received_before_tet_2026_is_due_after_the_break() -> None:
    assert CAL.due(at("2026-02-12T10:00"), 3) == at("2026-02-24T10:00")
    # Friday afternoon after the cut-off: counting starts on the first day after Tết.
    assert CAL.counting_start(at("2026-02-13T15:30")) == at("2026-02-23T07:00")
    assert CAL.due(at("2026-02-13T15:30"), 1) == at("2026-02-23T17:00")


def test_dossier_received_before_tet_2027_is_due_after_the_break() -> None:
    assert CAL.due(at("2027-02-03T09:00"), 1) == at("2027-02-11T09:00")
    assert CAL.counting_start(at("2027-02-03T16:00")) == at("2027-02-11T07:00")
    assert CAL.due(at("2027-02-03T16:00"), 2) == at("2027-02-12T17:00")


def test_national_day_holidays_2026_and_2027() -> None:
    # 2026: Tuesday 1/9 and Wednesday 2/9 off (the 31/8 swap is not confirmed: Monday is worked).
    assert CAL.due(at("2026-08-28T10:00"), 1) == at("2026-08-31T10:00")
    assert CAL.due(at("2026-08-31T10:00"), 1) == at("2026-09-03T10:00")
    # 2027: Thursday 2/9 and Friday 3/9 off.
    assert CAL.due(at("2027-09-01T10:00"), 1) == at("2027-09-06T10:00")


def test_24_november_2026_counts_as_a_working_day() -> None:
    assert CAL.due(at("2026-11-23T10:00"), 1) == at("2026-11-24T10:00")


def test_new_year_2026_swap_of_letter_12729_vpcp_kgvx() -> None:
    assert CAL.due(at("2025-12-31T10:00"), 1) == at("2026-01-05T10:00")
    assert CAL.due(at("2026-01-09T10:00"), 1) == at("2026-01-10T10:00")


def test_30_april_2025_swap_friday_2_may_with_saturday_26_april() -> None:
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.due(at("2025-04-25T10:00"), 1) == at("2025-04-26T10:00")


# Cut-off and counting start


def test_cutoff_at_15_00_on_a_working_day() -> None:
    assert CAL.counting_start(at("2026-03-02T14:59")) == at("2026-03-02T14:59")
    assert CAL.counting_start(at("2026-03-02T15:00")) == at("2026-03-02T15:00")
    assert CAL.counting_start(at("2026-03-02T15:00:00.500000")) == at("2026-03-03T07:00")
    assert CAL.counting_start(at("2026-03-02T15:01")) == at("2026-03-03T07:00")
    assert CAL.due(at("2026-03-02T14:59"), 1) == at("2026-03-03T14:59")
    assert CAL.due(at("2026-03-02T15:01"), 1) == at("2026-03-03T17:00")


def test_cutoff_is_configurable() -> None:
    late = WorkingCalendar(CalendarConfig(cutoff=time(16, 0)))
    assert late.counting_start(at("2026-03-02T15:30")) == at("2026-03-02T15:30")
    assert late.counting_start(at("2026-03-02T16:01")) == at("2026-03-03T07:00")


@pytest.mark.parametrize(
    ("received", "start"),
    [
        ("2026-03-07T09:00", "2026-03-09T07:00"),  # Saturday
        ("2026-03-08T14:00", "2026-03-09T07:00"),  # Sunday, before 15:00 all the same
        ("2026-03-02T06:30", "2026-03-02T07:00"),  # before opening
        ("2026-03-02T12:00", "2026-03-02T13:30"),  # lunch break
        ("2026-03-02T11:30", "2026-03-02T11:30"),  # a period end is still working time
        ("2026-03-06T17:30", "2026-03-09T07:00"),  # Friday evening
        ("2026-04-29T16:00", "2026-05-04T07:00"),  # before 30/4 and 1/5
    ],
)
def test_counting_start(received: str, start: str) -> None:
    assert CAL.counting_start(at(received)) == at(start)


def test_receipt_on_saturday_is_due_from_monday() -> None:
    assert CAL.due(at("2026-03-07T09:00"), 1) == at("2026-03-09T17:00")
    assert CAL.due(at("2026-03-07T09:00"), "0,5") == at("2026-03-09T11:00")


# Adding working time


def test_one_day_from_monday_morning_is_tuesday_same_time() -> None:
    assert CAL.add(at("2026-03-02T09:00"), days=1) == at("2026-03-03T09:00")


def test_half_day_across_lunch() -> None:
    # 10:00–11:30 is 1.5 h, the other 2.5 h of the 4 h half day run from 13:30.
    assert CAL.add(at("2026-03-02T10:00"), days=Decimal("0.5")) == at("2026-03-02T16:00")
    assert CAL.add(at("2026-03-02T10:00"), days="0,5") == at("2026-03-02T16:00")
    assert CAL.add(at("2026-03-02T10:00"), days=0.5) == at("2026-03-02T16:00")


def test_budget_ending_at_a_period_end_stays_there() -> None:
    assert CAL.add(at("2026-03-02T07:00"), days=1) == at("2026-03-02T17:00")
    assert CAL.add(at("2026-03-02T07:00"), hours="4.5") == at("2026-03-02T11:30")
    assert CAL.add(at("2026-03-02T17:00")) == at("2026-03-02T17:00")
    assert CAL.add(at("2026-03-02T17:00"), hours=1) == at("2026-03-03T08:00")
    assert CAL.add(at("2026-03-02T07:00"), days=5) == at("2026-03-06T17:00")


def test_days_and_hours_combine() -> None:
    assert CAL.add(at("2026-03-02T09:00"), days=1, hours=4) == at("2026-03-03T15:00")


def test_add_never_goes_back_for_sub_second_starts() -> None:
    start = at("2026-03-02T16:59:59.250000")
    assert CAL.add(start) == at("2026-03-02T17:00")
    assert CAL.next_working_start(at("2026-03-02T17:00:00.250000")) == at("2026-03-03T07:00")


def test_inputs_in_other_zones_and_naive_inputs() -> None:
    result = CAL.add(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), days=1)
    assert result == at("2026-03-03T09:00")
    assert result.tzinfo == VN and result.utcoffset() == timedelta(hours=7)
    assert CAL.add(datetime(2026, 3, 2, 9, 0), days=1) == at("2026-03-03T09:00")


def test_thirty_working_days_over_a_year_end() -> None:
    # Monday 14/12/2026 + 30 days, with 1/1/2027 off: the 30th working day is Monday 25/1/2027.
    assert CAL.add(at("2026-12-14T07:00"), days=30) == at("2027-01-25T17:00")
    assert CAL.add(at("2026-12-14T09:00"), days=30) == at("2027-01-26T09:00")


def test_fractions_are_rounded_to_the_second() -> None:
    assert CAL.budget_seconds(days=Decimal(1) / 3) == 9600
    assert CAL.budget_seconds(days=0.1) == 2880
    assert CAL.budget_seconds(days=Decimal("0.00001")) == 0
    assert CAL.budget_seconds(hours=Decimal("0.0001")) == 0
    assert CAL.budget_seconds(hours=Decimal("0.00015")) == 1


@pytest.mark.parametrize("bad", [-1, Decimal("-0.5"), "-1", "abc", float("nan"), float("inf"), True, None])
def test_bad_budgets_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        CAL.add(at("2026-03-02T09:00"), days=bad)  # type: ignore[arg-type]


def test_add_working_seconds_refuses_negative_and_non_integers() -> None:
    with pytest.raises(InvalidInput):
        CAL.add_working_seconds(at("2026-03-02T09:00"), -1)
    with pytest.raises(InvalidInput):
        CAL.add_working_seconds(at("2026-03-02T09:00"), 1.5)  # type: ignore[arg-type]


# Overrides


def test_make_up_saturday_override_counts_as_working() -> None:
    cal = WorkingCalendar(overrides={date(2026, 3, 7): True})
    assert cal.is_working_day(date(2026, 3, 7))
    assert cal.holiday_name(date(2026, 3, 7)) is None
    assert cal.add(at("2026-03-06T10:00"), days=1) == at("2026-03-07T10:00")
    assert cal.counting_start(at("2026-03-07T09:00")) == at("2026-03-07T09:00")
    assert CAL.add(at("2026-03-06T10:00"), days=1) == at("2026-03-09T10:00")


def test_extra_day_off_override_with_note() -> None:
    note = "Nghỉ theo quyết định của UBND tỉnh"
    cal = WorkingCalendar(overrides={date(2026, 3, 9): False}, overrides_notes={date(2026, 3, 9): note})
    assert not cal.is_working_day(date(2026, 3, 9))
    assert cal.holiday_name(date(2026, 3, 9)) == note
    assert cal.add(at("2026-03-06T10:00"), days=1) == at("2026-03-10T10:00")
    assert (
        WorkingCalendar(overrides={date(2026, 3, 9): False}).holiday_name(date(2026, 3, 9))
        == "Ngày nghỉ bổ sung"
    )


def test_override_can_reopen_a_package_holiday_and_close_a_decided_make_up_day() -> None:
    cal = WorkingCalendar(overrides={date(2027, 2, 4): True, date(2026, 1, 10): False})
    assert cal.is_working_day(date(2027, 2, 4))
    assert cal.holiday_name(date(2027, 2, 4)) is None
    assert not cal.is_working_day(date(2026, 1, 10))


def test_calendar_without_any_working_day_is_refused_instead_of_looping() -> None:
    # Monday to Saturday off and every Sunday closed for 11 years (no package make-up day after 2026).
    sundays = {date(2027, 1, 3) + timedelta(weeks=i): False for i in range(600)}
    cal = WorkingCalendar(CalendarConfig(weekend=frozenset(range(6))), overrides=sundays)
    with pytest.raises(InvalidInput, match="không còn ngày làm việc"):
        cal.add(at("2027-01-04T09:00"), days=1)


# Office hours


def test_seasonal_hours_follow_the_rule_in_force() -> None:
    assert SEASONAL.working_periods(date(2026, 3, 2)) == [
        (at("2026-03-02T07:30"), at("2026-03-02T11:30")),
        (at("2026-03-02T13:00"), at("2026-03-02T17:00")),
    ]
    assert SEASONAL.working_periods(date(2026, 5, 4))[0] == (at("2026-05-04T07:00"), at("2026-05-04T11:30"))
    assert SEASONAL.working_periods(date(2026, 10, 19))[0][0] == at("2026-10-19T07:30")
    # Before every dated rule the undated rule applies; the rules' order does not matter.
    reordered = WorkingCalendar(CalendarConfig(hours=((date(2026, 4, 15), SUMMER), (None, WINTER))))
    assert reordered.office_hours(date(2020, 1, 1)) == WINTER
    assert reordered.office_hours(date(2026, 4, 15)) == SUMMER


def test_adding_across_a_change_of_season() -> None:
    # Tuesday 14/4 under winter hours: 16:00–17:00 is 1 h; the other 3 h under summer hours.
    assert SEASONAL.add(at("2026-04-14T16:00"), days="0.5") == at("2026-04-15T10:00")
    assert SEASONAL.counting_start(at("2026-04-15T07:10")) == at("2026-04-15T07:10")
    assert SEASONAL.counting_start(at("2026-03-02T07:10")) == at("2026-03-02T07:30")
    assert SEASONAL.counting_start(at("2026-03-02T12:45")) == at("2026-03-02T13:00")


def test_is_working_time_includes_period_ends() -> None:
    assert CAL.is_working_time(at("2026-03-02T07:00"))
    assert CAL.is_working_time(at("2026-03-02T11:30"))
    assert not CAL.is_working_time(at("2026-03-02T11:30:01"))
    assert not CAL.is_working_time(at("2026-03-02T13:29:59"))
    assert CAL.is_working_time(at("2026-03-02T17:00"))
    assert not CAL.is_working_time(at("2026-03-07T10:00"))
    assert CAL.is_working_time(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))  # 10:00 in Vietnam


@pytest.mark.parametrize(
    "make",
    [
        lambda: OfficeHours(()),
        lambda: OfficeHours(((time(11), time(8)),)),
        lambda: OfficeHours(((time(7), time(12)), (time(11), time(17)))),
        lambda: CalendarConfig(timezone="Mars/Olympus"),
        lambda: CalendarConfig(hours=()),
        lambda: CalendarConfig(hours=((None, SUMMER), (None, WINTER))),
        lambda: CalendarConfig(hours_per_day=Decimal(0)),
        lambda: CalendarConfig(weekend=frozenset({7})),
        lambda: CalendarConfig(weekend=frozenset(range(7))),
    ],
)
def test_bad_configuration_is_refused(make: object) -> None:
    with pytest.raises(InvalidInput):
        make()  # type: ignore[operator]


# Measuring


def test_measure_and_working_seconds() -> None:
    assert CAL.measure(at("2026-03-02T07:00"), at("2026-03-06T17:00")) == 5
    assert CAL.measure(at("2026-03-02T10:00"), at("2026-03-02T16:00")) == Decimal("0.5")
    assert CAL.working_seconds(at("2026-03-02T11:00"), at("2026-03-02T14:00")) == 3600
    assert CAL.working_seconds(at("2026-03-06T16:00"), at("2026-03-09T08:00")) == 7200
    assert CAL.working_seconds(at("2026-03-02T14:00"), at("2026-03-02T11:00")) == 0
    assert CAL.measure(at("2026-02-13T07:00"), at("2026-02-24T07:00")) == 2


# ISO 8601 durations (timer events)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("P2D", "2026-03-04T09:00"),
        ("PT4H", "2026-03-02T15:00"),
        ("P1W", "2026-03-09T09:00"),
        ("P1DT4H", "2026-03-03T15:00"),
        ("PT30M", "2026-03-02T09:30"),
        ("PT90S", "2026-03-02T09:01:30"),
        ("P0,5D", "2026-03-02T15:00"),
        ("P0D", "2026-03-02T09:00"),
    ],
)
def test_add_duration_forms(duration: str, expected: str) -> None:
    assert CAL.add_duration(at("2026-03-02T09:00"), duration) == at(expected)


@pytest.mark.parametrize(
    "bad", ["P1M", "P1Y", "P1Y2D", "P", "PT", "P1DT", "-P1D", "2D", "P1H", "R3/PT1H", ""]
)
def test_add_duration_refuses_months_years_and_garbage(bad: str) -> None:
    with pytest.raises(InvalidInput):
        CAL.add_duration(at("2026-03-02T09:00"), bad)


# Parsing


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", Decimal(5)),
        ("0.5", Decimal("0.5")),
        ("0,5", Decimal("0.5")),
        ("2.25", Decimal("2.25")),
        (" 3 ", 3),
    ],
)
def test_parse_working_days(text: str, value: Decimal) -> None:
    assert parse_working_days(text) == value


@pytest.mark.parametrize("bad", ["-1", "abc", "", "1,5,2", "1e3", "NaN", "Infinity", "5 ngày", ".5"])
def test_parse_working_days_refuses_in_vietnamese(bad: str) -> None:
    with pytest.raises(InvalidInput, match="Số ngày làm việc không hợp lệ"):
        parse_working_days(bad)


def test_parse_datetime() -> None:
    assert parse_datetime("2026-03-02T09:00") == at("2026-03-02T09:00")
    assert parse_datetime("2026-03-02 09:00").tzinfo == VN
    parsed = parse_datetime("2026-03-02T02:00Z")
    assert parsed == at("2026-03-02T09:00") and parsed.tzinfo == VN
    assert parse_datetime("2026-03-02T09:00", tz="UTC") == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="Thời điểm không hợp lệ"):
        parse_datetime("ngày mai")
    with pytest.raises(InvalidInput):
        parse_datetime("2026-03-02T09:00", tz="Nowhere/Town")


# Properties

instants = st.datetimes(
    min_value=datetime(2025, 12, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([None, VN, UTC, ZoneInfo("Europe/Paris")]),
)
sixteenths = st.integers(min_value=0, max_value=16 * 40).map(lambda k: Decimal(k) / 16)
calendars = st.sampled_from([CAL, SEASONAL])


@settings(max_examples=150, deadline=None)
@given(cal=calendars, received=instants, days=sixteenths)
def test_due_time_never_falls_outside_working_time(
    cal: WorkingCalendar, received: datetime, days: Decimal
) -> None:
    due = cal.due(received, days)
    assert cal.is_working_time(due)
    assert due >= cal.localize(received)
    assert cal.is_working_time(cal.counting_start(received))


@settings(max_examples=150, deadline=None)
@given(cal=calendars, raw=instants, days=sixteenths)
def test_adding_then_measuring_gives_back_the_budget(
    cal: WorkingCalendar, raw: datetime, days: Decimal
) -> None:
    start = cal.next_working_start(raw)
    assert cal.is_working_time(start)
    assert cal.measure(start, cal.add(start, days=days)) == days


@settings(max_examples=150, deadline=None)
@given(cal=calendars, first=instants, second=instants, days=sixteenths, more=sixteenths)
def test_add_is_monotonic_in_start_and_budget(
    cal: WorkingCalendar, first: datetime, second: datetime, days: Decimal, more: Decimal
) -> None:
    early, late = sorted((first, second), key=cal.localize)
    assert cal.add(early, days=days) <= cal.add(late, days=days)
    assert cal.add(early, days=days) <= cal.add(early, days=days + more)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, points=st.lists(instants, min_size=3, max_size=3))
def test_working_seconds_add_up_over_consecutive_intervals(
    cal: WorkingCalendar, points: list[datetime]
) -> None:
    a, b, c = sorted(points, key=cal.localize)
    assert cal.working_seconds(a, c) == cal.working_seconds(a, b) + cal.working_seconds(b, c)

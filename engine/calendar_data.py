"""Calendar decisions as data: the official decisions that move days off and make-up working days.

Each decision (workflows/calendar/<year>.toml, or added by an admin) carries its number, date,
issuing body, source, and the days it makes days off or working days. Only **confirmed**
decisions move days in due-time computations; an unconfirmed one is kept and shown to officials
until an admin confirms it. ``statutory.toml`` corrects the statutory holiday list of the
``holidays`` package where the package counts a day the Labour Code does not (24 November).
The format is described in docs/rules.md.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput

CALENDAR_DIR = Path(__file__).resolve().parent.parent / "workflows" / "calendar"
STATUTORY_FILE = "statutory.toml"
#: Bounds on one decision and on a file: a decision moves a handful of days, never a year.
MAX_DAYS = 60
MAX_FILE_BYTES = 256 * 1024
MAX_TEXT = 255
MAX_SOURCE = 1000
FIRST_YEAR, LAST_YEAR = 2000, 2100
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class DecisionDay:
    day: date
    working: bool  # True = a make-up working day, False = a day off
    note: str


@dataclass(frozen=True)
class CalendarDecision:
    key: str
    number: str
    issued_on: date | None
    issuer: str
    title: str
    source: str
    confirmed: bool
    days: tuple[DecisionDay, ...]

    @property
    def year(self) -> int:
        """The year of its first day (the year it is listed under)."""
        return min(d.day for d in self.days).year if self.days else (self.issued_on or date.min).year


@dataclass(frozen=True)
class CalendarData:
    """The decisions and the names of package holidays that the law does not have."""

    decisions: tuple[CalendarDecision, ...] = ()
    not_holidays: tuple[str, ...] = ()

    def decided_days(self) -> dict[date, tuple[bool, str]]:
        """Day → (working, note) from the confirmed decisions; a later-issued decision wins."""
        out: dict[date, tuple[bool, str]] = {}
        ordered = sorted((d for d in self.decisions if d.confirmed), key=lambda d: (d.issued_on or date.min, d.key))
        for decision in ordered:
            for entry in decision.days:
                out[entry.day] = (entry.working, entry.note or decision.title)
        return out

    def with_decisions(self, decisions: list[CalendarDecision]) -> CalendarData:
        """These data with ``decisions`` added, replacing any of the same key."""
        keys = {d.key for d in decisions}
        kept = [d for d in self.decisions if d.key not in keys]
        return CalendarData(tuple(kept + list(decisions)), self.not_holidays)


def make_decision(*, key: str, number: str = "", issued_on: date | None = None, issuer: str = "",
                  title: str, source: str = "", confirmed: bool | None,
                  days: list[tuple[date, bool, str]]) -> CalendarDecision:
    """A validated decision; bad input raises InvalidInput naming the field."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidInput(f"Mã quyết định không hợp lệ: {key!r} (chữ thường, số và '-', tối đa 64 ký tự).")
    number, issuer, title = (_text(v, what) for v, what in
                             ((number, "Số hiệu"), (issuer, "Cơ quan ban hành"), (title, "Trích yếu")))
    source = _text(source, "Nguồn", MAX_SOURCE)
    if not title:
        raise InvalidInput("Quyết định cần có trích yếu (nội dung).")
    if source and not source.startswith(("https://", "http://")):
        raise InvalidInput("Nguồn phải là một địa chỉ http(s).")
    if issued_on is not None and not isinstance(issued_on, date):
        raise InvalidInput(f"Ngày ban hành không hợp lệ: {issued_on!r}.")
    if not isinstance(confirmed, bool):
        raise InvalidInput("confirmed phải là true hoặc false.")
    if not days:
        raise InvalidInput("Quyết định phải có ít nhất một ngày nghỉ hoặc ngày làm bù.")
    if len(days) > MAX_DAYS:
        raise InvalidInput(f"Một quyết định có tối đa {MAX_DAYS} ngày.")
    seen: set[date] = set()
    entries = []
    for day, working, note in days:
        if not isinstance(day, date) or not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput(f"Ngày không hợp lệ: {day!r}.")
        if day in seen:
            raise InvalidInput(f"Ngày {day:%d/%m/%Y} có hai lần trong cùng quyết định.")
        seen.add(day)
        entries.append(DecisionDay(day, bool(working), _text(note, "Ghi chú")))
    entries.sort(key=lambda e: e.day)
    return CalendarDecision(key, number, issued_on, issuer, title, source, confirmed, tuple(entries))


def parse_file(path: Path) -> tuple[list[CalendarDecision], list[str]]:
    """The decisions and the not-a-holiday names of one TOML file."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path.name}: tệp lịch quá lớn.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path.name}: TOML không hợp lệ: {exc}") from exc
    decisions = []
    for i, item in enumerate(raw.get("decision", [])):
        try:
            decisions.append(_decision_of(item))
        except InvalidInput as exc:
            raise InvalidInput(f"{path.name}, quyết định {i + 1}: {exc}") from exc
    names = [_text(item.get("name", ""), "name") for item in raw.get("not_a_holiday", [])]
    return decisions, [n for n in names if n]


def load_directory(directory: Path) -> CalendarData:
    """Every decision in ``directory``/*.toml; two decisions with one key are an error."""
    decisions: dict[str, CalendarDecision] = {}
    names: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        found, not_holidays = parse_file(path)
        names.extend(not_holidays)
        for decision in found:
            if decision.key in decisions:
                raise InvalidInput(f"{path.name}: mã quyết định {decision.key!r} bị trùng.")
            decisions[decision.key] = decision
    return CalendarData(tuple(decisions.values()), tuple(names))


@functools.cache
def shipped() -> CalendarData:
    """The decisions shipped in workflows/calendar (read once per process)."""
    return load_directory(CALENDAR_DIR)


def _decision_of(item: Any) -> CalendarDecision:
    if not isinstance(item, dict):
        raise InvalidInput("mỗi [[decision]] phải là một bảng.")
    days: list[tuple[date, bool, str]] = []
    for field_name, working in (("days_off", False), ("working_days", True)):
        for entry in item.get(field_name, []):
            if not isinstance(entry, dict) or "day" not in entry:
                raise InvalidInput(f"{field_name}: mỗi mục cần có 'day'.")
            days.append((entry["day"], working, entry.get("note", "")))
    return make_decision(key=item.get("key", ""), number=item.get("number", ""), issued_on=item.get("issued_on"),
                         issuer=item.get("issuer", ""), title=item.get("title", ""),
                         source=item.get("source", ""), confirmed=item.get("confirmed", None), days=days)


def _text(value: object, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} phải là chuỗi ký tự.")
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise InvalidInput(f"{what} dài tối đa {limit} ký tự.")
    return cleaned

"""The PAKN figures of Decision 766/QĐ-TTg (2022) for the statistics: per agency and period, over the
feedback received in the period (local dates, both included), as seen at ``now``.

- ``received``: feedback received in the period;
- ``answered``: of those, answered (or answered and rated);
- ``answered_on_time``: answered no later than the deadline (``due_at``);
- ``overdue_open``: not answered and past the deadline at ``now``;
- ``on_time_share`` = answered_on_time ÷ (answered + overdue_open) × 100: of the feedback whose
  handling is done or due, the share answered by the deadline (open feedback not yet due is left out:
  it can still be answered on time); None when nothing is done or due;
- ``rated``, ``satisfied``: answers the sender rated, and rated at or above the survey's
  ``satisfied_from`` (4 = hài lòng, workflows/survey/sipas.toml);
- ``satisfied_share`` = satisfied ÷ rated × 100; None without ratings.

Shares in percent with one decimal, rounded half up (as the satisfaction index).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.stats import period_bounds
from engine.survey import questionnaire

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["FORMULAS", "PaknFigures", "PaknReport", "as_dict", "compute", "figures", "sheet_rows"]

FORMULAS = {
    "on_time_share": "answered_on_time / (answered + overdue_open) * 100",
    "satisfied_share": "satisfied / rated * 100 (rating >= satisfied_from)",
}


def _share(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


@dataclass(frozen=True)
class PaknFigures:
    code: str
    name: str
    received: int
    answered: int
    answered_on_time: int
    overdue_open: int
    rated: int
    satisfied: int

    @property
    def on_time_share(self) -> float | None:
        return _share(self.answered_on_time, self.answered + self.overdue_open)

    @property
    def satisfied_share(self) -> float | None:
        return _share(self.satisfied, self.rated)


@dataclass(frozen=True)
class PaknReport:
    overall: PaknFigures
    by_agency: list[PaknFigures]


def compute(session: Session, calendar: WorkingCalendar, date_from: date, date_to: date, now: datetime) -> PaknReport:
    start, end = period_bounds(calendar, date_from, date_to)
    satisfied_from = questionnaire().satisfied_from
    rows = session.execute(
        select(models.Feedback.status, models.Feedback.due_at, models.Feedback.answered_at, models.Feedback.rating,
               models.Agency.code, models.Agency.name)
        .join(models.Agency, models.Agency.id == models.Feedback.agency_id)
        .where(models.Feedback.received_at >= start, models.Feedback.received_at < end)).all()
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for status, due_at, answered_at, rating, code, name in rows:
        counts = (1, int(answered_at is not None), int(answered_at is not None and answered_at <= due_at),
                  int(status == "received" and now > due_at), int(rating is not None),
                  int(rating is not None and rating >= satisfied_from))
        for key in (("", ""), (code, name)):
            t = totals[key]
            for i, c in enumerate(counts):
                t[i] += c
    overall = totals.pop(("", ""), [0] * 6)
    return PaknReport(PaknFigures("", "", *overall),
                      sorted((PaknFigures(code, name, *t) for (code, name), t in totals.items()), key=lambda f: f.code))


def figures(engine: Engine, date_from: date, date_to: date) -> PaknReport:
    """The PAKN figures of the period, as seen now."""
    with engine.Session() as session:
        return compute(session, engine.calendar(), date_from, date_to, engine.now())


def _one(key: str | None, f: PaknFigures) -> dict[str, Any]:
    head = {key: f.code, "name": f.name} if key else {}
    return head | {"received": f.received, "answered": f.answered, "answered_on_time": f.answered_on_time,
                   "overdue_open": f.overdue_open, "on_time_share": f.on_time_share, "rated": f.rated,
                   "satisfied": f.satisfied, "satisfied_share": f.satisfied_share}


def as_dict(report: PaknReport) -> dict[str, Any]:
    """The figures as the statistics API gives them."""
    return {"overall": _one(None, report.overall), "by_agency": [_one("agency", f) for f in report.by_agency],
            "formulas": FORMULAS}


def sheet_rows(report: PaknReport) -> list[dict[str, object]]:
    """One row per agency and a total row, for the statistics workbook's PAKN sheet."""
    rows = [*report.by_agency, PaknFigures("", "Tổng cộng", *[getattr(report.overall, k) for k in (
        "received", "answered", "answered_on_time", "overdue_open", "rated", "satisfied")])]
    return [{"Mã cơ quan": f.code, "Tên cơ quan": f.name, "Tiếp nhận": f.received, "Đã trả lời": f.answered,
             "Trả lời đúng hạn": f.answered_on_time, "Quá hạn chưa trả lời": f.overdue_open,
             "Tỷ lệ đúng hạn (%)": f.on_time_share, "Số đánh giá": f.rated, "Hài lòng": f.satisfied,
             "Tỷ lệ hài lòng (%)": f.satisfied_share} for f in rows]

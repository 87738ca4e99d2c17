"""The rules of the apology letter (Mẫu 04; Decree 61/2018/NĐ-CP art. 19.9): who issues it, by when,
and its number.

- Only the head of the agency at fault signs it ("Thủ trưởng cơ quan, đơn vị"): the agency's
  leader (role ``leader``), never an officer.
- It is sent "at least one day before the due date" (chậm nhất 01 ngày trước hạn): at least one
  working day of working time must remain before the due time.
- It is numbered per agency and calendar year (1, 2, … from each 1 January), printed "N/YYYY/PXL".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import models
from engine.accounts import Actor
from engine.calendar import WorkingCalendar
from engine.errors import PermissionDenied, StateError

ISSUER_ROLE = "leader"
#: Working days that must remain before the due time when the letter is issued.
MIN_LEAD_WORKING_DAYS = 1
#: How far back the latest issue time is searched (a due time with no working day before it).
_MAX_DAYS_BACK = 3700


def check_issuer(actor: Actor) -> None:
    """Only a leader of an agency signs the letter."""
    if not actor.has(ISSUER_ROLE):
        raise PermissionDenied("Chỉ lãnh đạo (thủ trưởng) cơ quan làm chậm được ký phiếu xin lỗi, hẹn lại (Mẫu 04)")


def latest_issue_time(cal: WorkingCalendar, due_at: datetime) -> datetime:
    """The last instant at which one working day of working time still remains before ``due_at``."""
    remaining = int(cal.config.seconds_per_day * MIN_LEAD_WORKING_DAYS)
    due = cal.localize(due_at)
    day = due.date()
    for _ in range(_MAX_DAYS_BACK):
        for start, end in reversed(cal.working_periods(day)):
            end = min(end, due)
            if end <= start:
                continue
            available = int((end - start).total_seconds())
            if remaining <= available:
                return end - timedelta(seconds=remaining)
            remaining -= available
        day -= timedelta(days=1)
    raise StateError("Lịch làm việc không có ngày làm việc nào trước thời hạn trả kết quả")


def check_in_time(cal: WorkingCalendar, now: datetime, due_at: datetime | None) -> datetime:
    """The due time, when ``now`` is at least one working day before it; else refused, naming the limit."""
    if due_at is None:
        raise StateError("Hồ sơ chưa có thời hạn trả kết quả: không hẹn lại được")
    latest = latest_issue_time(cal, due_at)
    if now > latest:
        raise StateError(
            "Phiếu xin lỗi, hẹn lại phải gửi chậm nhất 01 ngày làm việc trước thời hạn trả kết quả "
            f"(Điều 19.9 Nghị định 61/2018/NĐ-CP): hạn trả {cal.localize(due_at):%H:%M %d/%m/%Y}, "
            f"hạn gửi phiếu {cal.localize(latest):%H:%M %d/%m/%Y}.")
    return due_at


def next_number(session: Session, agency_id: int, year: int) -> int:
    """The agency's next apology number in ``year``; the agency's row is locked until the transaction ends."""
    session.scalar(select(models.Agency.id).where(models.Agency.id == agency_id).with_for_update())
    last = session.scalar(select(func.max(models.Apology.number)).where(
        models.Apology.agency_id == agency_id, models.Apology.number_year == year))
    return (last or 0) + 1

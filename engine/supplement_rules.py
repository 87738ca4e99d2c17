"""The supplement window during processing (Decree 61/2018/NĐ-CP art. 19.4, as amended by Decree
107/2021/NĐ-CP): an agency that finds the dossier incomplete returns it with a supplement request
within 3 working days of receiving it.

A request after the window is not refused (the applicant still has to complete the dossier): it is
recorded as late, naming the agency, the official and the step, with the event
``dossier.supplement_request_late``. The agency "received" the dossier when its first step of
the dossier became ready.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar

WINDOW_WORKING_DAYS = Decimal(3)
LATE_ACTION = "dossier.supplement_request_late"


def late_request(session: Session, cal: WorkingCalendar, dossier_id: int, now: datetime,
                 actor_id: int | None) -> dict[str, Any] | None:
    """What to record when the supplement request at ``now`` comes after the window, else None.

    The request is the step completed last on the dossier (not a supplement step): its agency is
    the one asking.
    """
    S = models.Step
    step = session.scalar(select(S).where(S.dossier_id == dossier_id, S.completed_at.is_not(None),
                                          S.step_kind != "supplement")
                          .order_by(S.completed_at.desc(), S.id.desc()).limit(1))
    if step is None:
        return None
    received = session.scalar(select(S.ready_at).where(S.dossier_id == dossier_id, S.agency_id == step.agency_id)
                              .order_by(S.ready_at, S.id).limit(1))
    if received is None:
        return None
    deadline = cal.add(received, days=WINDOW_WORKING_DAYS)
    if now <= deadline:
        return None
    agency = session.get(models.Agency, step.agency_id)
    who = session.get(models.Official, actor_id or step.completed_by) if (actor_id or step.completed_by) else None
    return {"agency": agency.code if agency else "", "agency_name": agency.name if agency else "",
            "official": who.username if who else "", "official_name": who.full_name if who else "",
            "step": step.name, "received_at": received.isoformat(), "deadline": deadline.isoformat(),
            "working_days_used": str(cal.measure(received, now).quantize(Decimal("0.01"))),
            "rule": "Nghị định 61/2018/NĐ-CP Điều 19.4 (sửa đổi bởi Nghị định 107/2021/NĐ-CP): "
                    "yêu cầu bổ sung trong 03 ngày làm việc kể từ khi nhận hồ sơ"}


def record_if_late(session: Session, cal: WorkingCalendar, dossier_id: int, now: datetime, actor_id: int | None,
                   record: Callable[..., None]) -> None:
    """Record ``dossier.supplement_request_late`` when the request comes after the window."""
    details = late_request(session, cal, dossier_id, now, actor_id)
    if details is not None:
        record(LATE_ACTION, dossier_id=dossier_id, actor_id=actor_id, details=details)

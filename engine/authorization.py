"""Who may write to a dossier: one check, called by every dossier write, whichever door (page, API, CLI).

Each kind of write names the roles it needs and whose it is:

=============  ==========================  =================================================
write          roles                       whose
=============  ==========================  =================================================
step           clerk, officer, leader      the step's agency (claim, unclaim, reassign, complete)
attach         clerk, officer, leader      an agency taking part (received it, or has a step)
apology        officer, leader             an agency holding the dossier or late on it
withdraw       clerk                       the desk that received it
collect        clerk                       the desk that received it
desk_papers    clerk                       the desk that received it
feedback       clerk, officer, leader      the agency a citizen's feedback (PAKN) was sent to
application    clerk                       the desk receiving an online application
=============  ==========================  =================================================

An administrator reads everything and writes none of these. The check runs before any state rule, so
an official of another agency always gets :class:`PermissionDenied` (403), never a hint about the state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine import models
from engine.actor import Actor
from engine.errors import PermissionDenied
from engine.lifecycle import agencies_at_fault

__all__ = ["Write", "authorize_write", "takes_part"]


class DossierFacts(Protocol):
    """What the check reads of a dossier (an ORM row or the services' plain row)."""

    @property
    def id(self) -> int: ...

    @property
    def receiving_agency_id(self) -> int | None: ...


class FeedbackFacts(Protocol):
    """What the check reads of a citizen's feedback: the agency responsible for answering it."""

    @property
    def agency_id(self) -> int: ...


class Write(StrEnum):
    STEP = "step"
    ATTACH = "attach"
    APOLOGY = "apology"
    WITHDRAW = "withdraw"
    COLLECT = "collect"
    DESK_PAPERS = "desk_papers"
    FEEDBACK = "feedback"
    APPLICATION = "application"


HANDLING = ("clerk", "officer", "leader")
#: write → (roles, message when refused)
RULES: dict[Write, tuple[tuple[str, ...], str]] = {
    Write.STEP: (HANDLING, "Bước này thuộc cơ quan khác"),
    Write.ATTACH: (HANDLING, "Cơ quan của bạn không tham gia hồ sơ này"),
    Write.APOLOGY: (("officer", "leader"), "Chỉ cơ quan đang giữ hoặc làm chậm hồ sơ được xin lỗi, hẹn lại"),
    Write.WITHDRAW: (("clerk",), "Chỉ bộ phận một cửa đã tiếp nhận hồ sơ được nhận yêu cầu rút hồ sơ"),
    Write.COLLECT: (("clerk",), "Chỉ bộ phận một cửa đã tiếp nhận hồ sơ ghi việc trả kết quả"),
    Write.DESK_PAPERS: (("clerk",), "Chỉ bộ phận đã tiếp nhận hồ sơ được ghi giấy tờ"),
    Write.FEEDBACK: (HANDLING, "Chỉ cơ quan tiếp nhận phản ánh, kiến nghị này được trả lời"),
    Write.APPLICATION: (("clerk",), "Hồ sơ trực tuyến này do bộ phận một cửa của cơ quan khác tiếp nhận"),
}


def takes_part(session: Session, actor: Actor, dossier: DossierFacts) -> bool:
    """The official's agency received the dossier or has (had) a step in it."""
    if dossier.receiving_agency_id == actor.agency_id:
        return True
    return bool(session.scalar(select(exists().where(models.Step.dossier_id == dossier.id,
                                                     models.Step.agency_id == actor.agency_id))))


def _owns(session: Session, actor: Actor, write: Write, dossier: DossierFacts | None,
          step: models.Step | None, now: datetime | None, feedback: FeedbackFacts | None) -> bool:
    if write is Write.STEP:
        return step is not None and step.agency_id == actor.agency_id
    if write is Write.FEEDBACK:
        return feedback is not None and feedback.agency_id == actor.agency_id
    assert dossier is not None
    if write is Write.ATTACH:
        return takes_part(session, actor, dossier)
    if write is Write.APOLOGY:
        assert now is not None
        return actor.agency_id in agencies_at_fault(session, dossier.id, now)
    return dossier.receiving_agency_id == actor.agency_id


def authorize_write(session: Session, actor: Actor, write: Write, *, dossier: DossierFacts | None = None,
                    step: models.Step | None = None, now: datetime | None = None,
                    feedback: FeedbackFacts | None = None) -> None:
    """:class:`PermissionDenied` unless ``actor`` may make ``write`` to ``dossier`` (or ``step``, ``feedback``)."""
    roles, message = RULES[write]
    if not actor.active or not actor.has(*roles) or not _owns(session, actor, write, dossier, step, now, feedback):
        raise PermissionDenied(message)

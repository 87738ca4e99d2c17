"""The one-stop dossier lifecycle beyond plain steps (Decree 61/2018, 118/2025): its records and rules.

The actions are in engine.services.lifecycle, engine.services.reception (desk notices) and
engine.services.deadlines; this module holds what they and the readers share.

Statuses (engine.statuses.DossierStatus)::

    (desk: Mẫu 02 supplement notice / Mẫu 03 refusal — no dossier yet)
    received → processing ⇄ waiting_supplement → completed | returned | refused
         └──────────┴───────────┴──→ withdrawn (the applicant withdraws at the desk)

Rules chosen here, each a documented decision:

- **Desk notices** (Mẫu 02, 03) are numbered per agency, kind and year (``desk_notices``).
- **Supplement once** (Điều 15.3, 19.4; QĐ 766): the diagram may ask for a supplement again and
  the dossier proceeds, but from the second request on it is marked ``late_by_rule`` (an event
  ``dossier.late_by_rule``), and statistics count it late whatever its finish time.
- **Apology** (Điều 19.9, Mẫu 04): by a leader or officer of an agency at fault (one holding an
  open step of the dossier, or whose step was late), before the due time, once per dossier, with
  a later date. The new date is kept as a working-time extension of the original due time, so a
  calendar change moves it with the rest (see ``recompute_deadlines``).
- **Withdrawal**: a clerk of the receiving desk cancels the workflow; open steps and timers are
  cancelled and the dossier ends ``withdrawn``.
- **Result collection** (Mẫu 06): how the applicant got the result (desk, post, online).
- **Deadlines** are derived data: ``recompute_deadlines`` rebuilds them from the receipt (or the
  last restart after a supplement), the limit, paused supplement time and the apology extension.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import models
from engine.accounts import AgencyInfo
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput
from engine.events import record
from engine.statuses import OPEN_STATES, StepState
from engine.views import DossierView

NOTICE_KINDS = ("supplement", "refusal")
DOCUMENT_KINDS = {"original": "Bản chính", "certified": "Bản sao có chứng thực", "copy": "Bản sao"}
COLLECTION_METHODS = {"desk": "Nhận trực tiếp tại Bộ phận Một cửa", "post": "Qua dịch vụ bưu chính công ích",
                      "online": "Nhận trực tuyến"}
APOLOGY_ROLES = ("leader", "officer")
MAX_TEXT = 2000
MAX_DOCUMENTS = 50


@dataclass(frozen=True)
class DeskNoticeView:
    """A Mẫu 02 (supplement) or Mẫu 03 (refusal) notice given at the desk."""

    id: int
    kind: str
    number: int
    year: int
    agency_code: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    dossier_code: str
    applicant: dict[str, str]
    request: str
    documents: list[dict[str, Any]]
    reasons: list[str]
    guidance: dict[str, str]
    official_name: str
    created_at: datetime

    @property
    def reference(self) -> str:
        """The printed number, e.g. '12/2026'."""
        return f"{self.number}/{self.year}"


@dataclass(frozen=True)
class ApologyView:
    """The Mẫu 04 of a dossier."""

    agency_code: str
    agency_name: str
    issued_by_name: str
    issued_at: datetime
    reason: str
    original_due_at: datetime
    new_due_at: datetime
    step_name: str = ""


@dataclass(frozen=True)
class LifecycleInfo:
    """Lifecycle facts of a dossier that its core row does not carry."""

    supplement_requests: int = 0
    late_by_rule: bool = False
    late_reason: str = ""
    warned_at: datetime | None = None
    overdue_marked_at: datetime | None = None
    returned_at: datetime | None = None
    collection_method: str = ""
    collection_note: str = ""
    withdrawn_reason: str = ""
    apology: ApologyView | None = None

    @property
    def collection_label(self) -> str:
        return COLLECTION_METHODS.get(self.collection_method, "")


@dataclass(frozen=True)
class DossierPapers:
    """Everything the printed forms of one dossier need (Mẫu 01, 04, 05), as plain data."""

    dossier: DossierView
    lifecycle: LifecycleInfo
    receiving_agency: AgencyInfo | None
    limit_working_days: Decimal
    metadata: dict[str, Any] = field(default_factory=dict)
    register_line: int = 0
    received_by_name: str = ""
    calendar: WorkingCalendar | None = None


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the register (Mẫu 06)."""

    line: int
    code: str
    procedure_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    lead_agency: str
    received_at: datetime
    due_at: datetime | None
    returned_at: datetime | None
    collection: str
    status: str


def clean_text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    text = " ".join(str(value or "").split()) if value is not None else ""
    if required and not text:
        raise InvalidInput(f"Thiếu {what}")
    if len(text) > limit:
        raise InvalidInput(f"{what} dài tối đa {limit} ký tự")
    return text


def clean_documents(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not documents:
        raise InvalidInput("Phiếu yêu cầu bổ sung phải nêu ít nhất một giấy tờ cần bổ sung")
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"Tối đa {MAX_DOCUMENTS} giấy tờ")
    out = []
    for item in documents:
        if not isinstance(item, Mapping):
            raise InvalidInput("Mỗi giấy tờ gồm tên (name) và loại bản (kind)")
        kind = str(item.get("kind") or "copy")
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(f"Loại bản không hợp lệ: {kind!r}; dùng {', '.join(DOCUMENT_KINDS)}")
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 99:
            raise InvalidInput("Số bản phải từ 1 đến 99")
        out.append({"name": clean_text(item.get("name"), "tên giấy tờ", 500), "kind": kind, "count": count,
                    "note": clean_text(item.get("note"), "ghi chú", 500, required=False)})
    return out


def clean_reasons(reasons: Sequence[str] | str) -> list[str]:
    items = [reasons] if isinstance(reasons, str) else list(reasons)
    out = [clean_text(r, "lý do") for r in items if str(r or "").strip()]
    if not out:
        raise InvalidInput("Phải nêu rõ lý do")
    return out


# ---------------------------------------------------------------------- module helpers


def retime_timers(session: Session, cal: WorkingCalendar, dossier_id: int, now: datetime) -> int:
    """Pending duration timers of a dossier, due again from when they started in the current calendar.

    A timer already due under the old calendar stays as it is (the worker may be firing it); a
    fixed date (timeDate) does not depend on the calendar."""
    changed = 0
    for timer in session.scalars(select(models.Timer).where(
            models.Timer.dossier_id == dossier_id, models.Timer.fired_at.is_(None),
            models.Timer.cancelled_at.is_(None), models.Timer.started_at.is_not(None))):
        if not timer.expression.upper().startswith("P") or timer.due_at <= now:
            continue
        assert timer.started_at is not None
        due = cal.add_duration(timer.started_at, timer.expression)
        if due != timer.due_at:
            record(session, "timer.due_recomputed", now, dossier_id=dossier_id,
                   details={"element": timer.element_id, "old": timer.due_at.isoformat(), "new": due.isoformat()})
            timer.due_at = due
            changed += 1
    return changed


def as_due(cal: WorkingCalendar, value: datetime | date) -> datetime:
    """A new appointment: an aware instant, or a working day meaning the end of its office hours."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput("Ngày hẹn mới phải kèm múi giờ")
        return value
    if not isinstance(value, date):
        raise InvalidInput(f"Ngày hẹn mới không hợp lệ: {value!r}")
    periods = cal.working_periods(value)
    if not periods:
        raise InvalidInput(f"Ngày {value:%d/%m/%Y} không phải ngày làm việc")
    return periods[-1][1]


def agencies_at_fault(session: Session, dossier_id: int, now: datetime) -> set[int]:
    """Agencies holding an open step of the dossier, or whose step was (or is) late."""
    rows = session.execute(select(models.Step.agency_id, models.Step.state, models.Step.timeliness,
                                  models.Step.due_at).where(models.Step.dossier_id == dossier_id)).all()
    out = set()
    for agency_id, state, kind, due in rows:
        if state in OPEN_STATES or kind == "late" or (state == StepState.COMPLETED and kind is None
                                                               and due is not None and due < now):
            out.add(agency_id)
    return out


def supplement_intervals(session: Session, dossier_id: int) -> list[tuple[datetime, datetime | None, str]]:
    """(asked at, supplemented at or None while waiting, rule) of each supplement round, from the event log."""
    events = session.execute(select(models.Event.action, models.Event.at, models.Event.details).where(
        models.Event.dossier_id == dossier_id,
        models.Event.action.in_(("dossier.waiting_supplement", "dossier.supplemented"))).order_by(
        models.Event.id)).all()
    out: list[tuple[datetime, datetime | None, str]] = []
    started: datetime | None = None
    for action, at, details in events:
        if action == "dossier.waiting_supplement":
            started = at
        elif started is not None:
            out.append((started, at, str((details or {}).get("rule") or "restart")))
            started = None
    if started is not None:
        out.append((started, None, ""))
    return out


def last_restart(session: Session, dossier_id: int, received_at: datetime) -> datetime:
    restarts = [end for _, end, rule in supplement_intervals(session, dossier_id) if end and rule == "restart"]
    return max(restarts, default=received_at)


def counting_basis(session: Session, cal: WorkingCalendar, dossier: Any) -> tuple[datetime, int]:
    """When the limit runs from (receipt or last restart, with the 15:00 cut-off) and the paused working seconds."""
    rounds = supplement_intervals(session, dossier.id)
    start = last_restart(session, dossier.id, dossier.received_at)
    counting_from = cal.counting_start(start)
    paused = sum(cal.working_seconds(max(a, counting_from), b) for a, b, rule in rounds
                 if b is not None and rule == "pause" and b > counting_from)
    return counting_from, paused


def lifecycle_info(session: Session, dossier_id: int) -> LifecycleInfo:
    track = session.get(models.DossierTracking, dossier_id)
    apology = None
    row = session.scalar(select(models.Apology).where(models.Apology.dossier_id == dossier_id))
    if row is not None:
        agency = session.get(models.Agency, row.agency_id)
        official = session.get(models.Official, row.issued_by)
        step = session.get(models.Step, row.step_id) if row.step_id else None
        apology = ApologyView(agency.code if agency else "", agency.name if agency else "",
                              official.full_name if official else "", row.issued_at, row.reason,
                              row.original_due_at, row.new_due_at, step.name if step else "")
    if track is None:
        return LifecycleInfo(apology=apology)
    return LifecycleInfo(track.supplement_requests, track.late_by_rule, track.late_reason, track.warned_at,
                         track.overdue_marked_at, track.returned_at, track.collection_method,
                         track.collection_note, track.withdrawn_reason, apology)


def notice_view(session: Session, row: models.DeskNotice) -> DeskNoticeView:
    agency = session.get(models.Agency, row.agency_id)
    official = session.get(models.Official, row.official_id)
    dossier_code = ""
    if row.dossier_id is not None:
        dossier_code = session.scalar(select(models.Dossier.code).where(models.Dossier.id == row.dossier_id)) or ""
    return DeskNoticeView(
        id=row.id, kind=row.kind, number=row.number, year=row.year, agency_code=agency.code if agency else "",
        agency_name=agency.name if agency else "", procedure_code=row.procedure_code,
        procedure_name=row.procedure_name, dossier_code=dossier_code,
        applicant={"name": row.applicant_name, "id_number": row.applicant_id_number, "phone": row.applicant_phone,
                   "email": row.applicant_email, "address": row.applicant_address},
        request=row.request, documents=[dict(d) for d in row.documents or []],
        reasons=[str(r) for r in row.reasons or []], guidance={k: str(v) for k, v in (row.guidance or {}).items()},
        official_name=official.full_name if official else "", created_at=row.created_at)


def register_line(session: Session, cal: WorkingCalendar, row: models.Dossier) -> int:
    """The dossier's line in its desk's register: its rank among the desk's dossiers of that year."""
    year_start = datetime(cal.localize(row.received_at).year, 1, 1, tzinfo=cal.zone)
    return session.scalar(select(func.count()).select_from(models.Dossier).where(
        models.Dossier.receiving_agency_id == row.receiving_agency_id, models.Dossier.received_at >= year_start,
        (models.Dossier.received_at < row.received_at)
        | ((models.Dossier.received_at == row.received_at) & (models.Dossier.id <= row.id)))) or 0


def lead_agency(session: Session, row: models.Dossier) -> str:
    """The agency that handles the dossier: the first agency other than the desk that held a step."""
    names = session.execute(select(models.Agency.name).join(models.Step, models.Step.agency_id == models.Agency.id)
                            .where(models.Step.dossier_id == row.id, models.Step.agency_id != row.receiving_agency_id)
                            .order_by(models.Step.id).limit(1)).scalars().all()
    return names[0] if names else ""

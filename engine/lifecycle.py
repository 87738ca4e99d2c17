"""The one-stop dossier lifecycle beyond plain steps (Decree 61/2018, 118/2025).

Statuses (engine.views.DOSSIER_STATUSES)::

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
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import accounts, models, queries, timeliness
from engine.accounts import Actor, AgencyInfo
from engine.calendar import WorkingCalendar
from engine.errors import Conflict, FormInvalid, InvalidInput, NotFound, PermissionDenied, StateError
from engine.forms import check_applicant
from engine.views import FINISHED_STATUSES, DossierView

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from engine.definitions import Definition

NOTICE_KINDS = ("supplement", "refusal")
DOCUMENT_KINDS = {"original": "Bản chính", "certified": "Bản sao có chứng thực", "copy": "Bản sao"}
COLLECTION_METHODS = {"desk": "Nhận trực tiếp tại Bộ phận Một cửa", "post": "Qua dịch vụ bưu chính công ích",
                      "online": "Nhận trực tuyến"}
OPEN_STATUSES = ("received", "processing", "waiting_supplement")
APOLOGY_ROLES = ("leader", "officer")
MAX_TEXT = 2000
MAX_DOCUMENTS = 50
LATE_BY_RULE_REASON = "Yêu cầu bổ sung hồ sơ quá một lần (QĐ 766/QĐ-TTg)"


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


def dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def ensure_tracking(session: Session, dossier_id: int) -> models.DossierTracking:
    """The dossier's tracking row, created if missing (safe against a concurrent worker)."""
    ins = dialect_insert(session)(models.DossierTracking).values(dossier_id=dossier_id)
    session.execute(ins.on_conflict_do_nothing(index_elements=["dossier_id"]))
    row = session.get(models.DossierTracking, dossier_id, populate_existing=True)
    assert row is not None
    return row


def _text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    text = " ".join(str(value or "").split()) if value is not None else ""
    if required and not text:
        raise InvalidInput(f"Thiếu {what}")
    if len(text) > limit:
        raise InvalidInput(f"{what} dài tối đa {limit} ký tự")
    return text


def _clean_documents(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not documents:
        raise InvalidInput("Phiếu yêu cầu bổ sung phải nêu ít nhất một giấy tờ cần bổ sung")
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"Tối đa {MAX_DOCUMENTS} giấy tờ")
    out = []
    for item in documents:
        if not isinstance(item, Mapping):
            raise InvalidInput("Mỗi giấy tờ gồm tên (name) và loại bản")
        kind = str(item.get("kind") or "copy")
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(f"Loại bản không hợp lệ: {kind!r}; dùng {', '.join(DOCUMENT_KINDS)}")
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 99:
            raise InvalidInput("Số bản phải từ 1 đến 99")
        out.append({"name": _text(item.get("name"), "tên giấy tờ", 500), "kind": kind, "count": count,
                    "note": _text(item.get("note"), "ghi chú", 500, required=False)})
    return out


def _clean_reasons(reasons: Sequence[str] | str) -> list[str]:
    items = [reasons] if isinstance(reasons, str) else list(reasons)
    out = [_text(r, "lý do") for r in items if str(r or "").strip()]
    if not out:
        raise InvalidInput("Phải nêu rõ lý do")
    return out


class LifecycleMixin:
    """Lifecycle actions of the Engine; mixed into engine.runtime.Engine."""

    if TYPE_CHECKING:
        Session: Any
        supplement_rule: str

        def now(self) -> datetime: ...
        def transaction(self) -> AbstractContextManager[Session]: ...
        def calendar(self) -> WorkingCalendar: ...
        def invalidate_calendar(self) -> None: ...
        def definition(self, definition_id: int, session: Session | None = None) -> Definition: ...
        def _lock_dossier(self, session: Session, dossier_id: int) -> models.Dossier: ...
        def _load_workflow(self, session: Session, dossier: models.Dossier,
                           definition: Definition) -> BpmnWorkflow: ...
        def _sync_timers(self, session: Session, dossier: models.Dossier, definition: Definition,
                         wf: BpmnWorkflow, now: datetime) -> None: ...
        def _save(self, session: Session, dossier: models.Dossier, wf: BpmnWorkflow, *, new: bool) -> None: ...
        @staticmethod
        def _definition_row(session: Session, code: str,
                            version: int | None = None) -> models.DefinitionVersion: ...

    # ------------------------------------------------------------------ helpers

    def _lock_by_code(self, session: Session, code: str) -> models.Dossier:
        dossier_id = session.scalar(select(models.Dossier.id).where(models.Dossier.code == code.strip()))
        if dossier_id is None:
            raise NotFound(f"Không có hồ sơ {code!r}")
        return self._lock_dossier(session, dossier_id)

    # ------------------------------------------------------------------ desk notices (Mẫu 02, 03)

    def request_supplement_at_desk(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any], *,
                                   documents: Sequence[Mapping[str, Any]], reason: str, request: str = "",
                                   guidance: Mapping[str, str] | None = None) -> DeskNoticeView:
        """Mẫu 02: explain once, in writing, what an incomplete dossier lacks; nothing is received."""
        return self._desk_notice(actor, "supplement", procedure_code, applicant, request=request,
                                 documents=_clean_documents(documents), reasons=_clean_reasons(reason),
                                 guidance=guidance)

    def refuse_at_desk(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any], *,
                       reasons: Sequence[str] | str, request: str = "", dossier_code: str = "") -> DeskNoticeView:
        """Mẫu 03: refuse to receive a dossier, with the specific reasons."""
        return self._desk_notice(actor, "refusal", procedure_code, applicant, request=request, documents=[],
                                 reasons=_clean_reasons(reasons), guidance=None, dossier_code=dossier_code)

    def _desk_notice(self, actor: Actor, kind: str, procedure_code: str, applicant: Mapping[str, Any], *,
                     request: str, documents: list[dict[str, Any]], reasons: list[str],
                     guidance: Mapping[str, str] | None, dossier_code: str = "") -> DeskNoticeView:
        if not actor.has("clerk"):
            raise PermissionDenied("Chỉ cán bộ một cửa được lập phiếu tại bộ phận một cửa")
        person, wrong = check_applicant(applicant)
        if wrong:
            raise FormInvalid(wrong)
        request = _text(request, "nội dung yêu cầu", required=False)
        now = self.now()
        year = self.calendar().localize(now).year
        with self.transaction() as session:
            definition = self._definition_row(session, procedure_code)
            dossier_id = None
            if dossier_code:
                dossier_id = session.scalar(select(models.Dossier.id).where(models.Dossier.code == dossier_code))
                if dossier_id is None:
                    raise NotFound(f"Không có hồ sơ {dossier_code!r}")
            agency = session.scalar(select(models.Agency).where(models.Agency.id == actor.agency_id)
                                    .with_for_update())  # serialises numbering per agency
            assert agency is not None
            contacts = dict(agency.contacts or {})
            given = dict(guidance or {})
            guide = {"website": _text(given.get("website") or contacts.get("website"), "trang web", 255,
                                      required=False),
                     "official": _text(given.get("official") or actor.full_name, "cán bộ hướng dẫn", 255),
                     "phone": _text(given.get("phone") or contacts.get("phone") or agency.phone, "điện thoại", 64,
                                    required=False)}
            last = session.scalar(select(func.max(models.DeskNotice.number)).where(
                models.DeskNotice.agency_id == actor.agency_id, models.DeskNotice.kind == kind,
                models.DeskNotice.year == year)) or 0
            row = models.DeskNotice(
                kind=kind, agency_id=actor.agency_id, year=year, number=last + 1,
                procedure_code=definition.procedure_code, procedure_name=definition.name, dossier_id=dossier_id,
                applicant_name=person["name"], applicant_id_number=person["id_number"],
                applicant_phone=person["phone"], applicant_email=person["email"],
                applicant_address=person["address"], request=request or definition.name, documents=documents,
                reasons=reasons, guidance=guide if kind == "supplement" else {}, official_id=actor.id,
                created_at=now)
            session.add(row)
            session.flush()
            session.add(models.Event(dossier_id=dossier_id, actor_id=actor.id, at=now,
                                     action="desk.supplement_requested" if kind == "supplement" else "desk.refused",
                                     details={"notice_id": row.id, "number": row.number, "year": year,
                                              "procedure": definition.procedure_code}))
            return _notice_view(session, row)

    def desk_notice(self, notice_id: int, actor: Actor | None = None) -> DeskNoticeView:
        """One desk notice; an official sees only their own agency's."""
        with self.Session() as session:
            row = session.get(models.DeskNotice, notice_id)
            if row is None or (actor is not None and not actor.has("admin") and row.agency_id != actor.agency_id):
                raise NotFound(f"Không có phiếu {notice_id}")
            return _notice_view(session, row)

    def desk_notices(self, actor: Actor, *, kind: str | None = None, year: int | None = None,
                     limit: int = 200) -> list[DeskNoticeView]:
        """The desk notices of the official's agency, newest first."""
        stmt = select(models.DeskNotice).where(models.DeskNotice.agency_id == actor.agency_id)
        if kind is not None:
            if kind not in NOTICE_KINDS:
                raise InvalidInput(f"Loại phiếu không hợp lệ: {kind!r}")
            stmt = stmt.where(models.DeskNotice.kind == kind)
        if year is not None:
            stmt = stmt.where(models.DeskNotice.year == year)
        with self.Session() as session:
            rows = session.scalars(stmt.order_by(models.DeskNotice.id.desc()).limit(limit)).all()
            return [_notice_view(session, r) for r in rows]

    # ------------------------------------------------------------------ supplement rule (hook)

    def _on_supplement_requested(self, session: Session, dossier: models.Dossier, now: datetime,
                                 actor_id: int | None) -> None:
        """Called by the runtime when a dossier enters waiting_supplement: the second time marks it late."""
        track = ensure_tracking(session, dossier.id)
        track.supplement_requests += 1
        if track.supplement_requests > 1 and not track.late_by_rule:
            track.late_by_rule = True
            track.late_reason = LATE_BY_RULE_REASON
            session.add(models.Event(dossier_id=dossier.id, actor_id=actor_id, action="dossier.late_by_rule",
                                     at=now, details={"reason": LATE_BY_RULE_REASON,
                                                      "supplement_requests": track.supplement_requests}))

    # ------------------------------------------------------------------ apology (Mẫu 04)

    def issue_apology(self, actor: Actor, code: str, reason: str, new_due_at: datetime | date) -> DossierView:
        """Mẫu 04: the agency at fault apologises and sets a new return date, once, before the due time."""
        if not actor.has(*APOLOGY_ROLES):
            raise PermissionDenied("Chỉ lãnh đạo hoặc cán bộ của cơ quan làm chậm được lập phiếu xin lỗi")
        reason = _text(reason, "lý do chậm trễ")
        now = self.now()
        cal = self.calendar()
        new_due = _as_due(cal, new_due_at)
        with self.transaction() as session:
            dossier = self._lock_by_code(session, code)
            if dossier.status not in ("received", "processing"):
                raise StateError(f"Hồ sơ đang ở trạng thái {dossier.status}: không hẹn lại được")
            at_fault = _agencies_at_fault(session, dossier.id, now)
            if actor.agency_id not in at_fault:
                raise PermissionDenied("Chỉ cơ quan đang giữ hoặc làm chậm hồ sơ được xin lỗi, hẹn lại")
            existing = session.scalar(select(models.Apology.id).where(models.Apology.dossier_id == dossier.id))
            if dossier.apology_count > 0 or existing is not None:
                raise Conflict("Ngày hẹn trả đã được hẹn lại một lần; không hẹn lại lần nữa (Điều 19.9)")
            if dossier.due_at is None or now >= dossier.due_at:
                raise StateError("Đã quá hạn trả kết quả: phiếu xin lỗi phải gửi trước thời hạn")
            if new_due <= dossier.due_at:
                raise InvalidInput("Ngày hẹn trả mới phải sau ngày hẹn hiện tại")
            original = dossier.due_at
            step_id = session.scalar(select(models.Step.id).where(
                models.Step.dossier_id == dossier.id, models.Step.agency_id == actor.agency_id,
                models.Step.state.in_(queries.OPEN_STATES)).order_by(models.Step.id).limit(1))
            session.add(models.Apology(dossier_id=dossier.id, agency_id=actor.agency_id, step_id=step_id,
                                       issued_by=actor.id, issued_at=now, reason=reason, original_due_at=original,
                                       new_due_at=new_due, extension_seconds=cal.working_seconds(original, new_due)))
            dossier.original_due_at = original
            dossier.due_at = new_due
            dossier.apology_count += 1
            session.add(models.Event(dossier_id=dossier.id, actor_id=actor.id, action="dossier.apology", at=now,
                                     details={"agency": actor.agency_code, "reason": reason,
                                              "original_due_at": original.isoformat(),
                                              "new_due_at": new_due.isoformat()}))
            session.flush()
            return queries.dossier_view(session, dossier)

    # ------------------------------------------------------------------ withdrawal

    def withdraw(self, actor: Actor, code: str, reason: str = "") -> DossierView:
        """The applicant withdraws the dossier at the desk that received it: the workflow is cancelled."""
        from engine.store import compact

        reason = _text(reason, "lý do rút hồ sơ", required=False)
        now = self.now()
        with self.transaction() as session:
            dossier = self._lock_by_code(session, code)
            if not actor.has("clerk") or actor.agency_id != dossier.receiving_agency_id:
                raise PermissionDenied("Chỉ bộ phận một cửa đã tiếp nhận hồ sơ được nhận yêu cầu rút hồ sơ")
            if dossier.status in FINISHED_STATUSES:
                raise StateError(f"Hồ sơ đã kết thúc ({dossier.status}): không rút được")
            definition = self.definition(dossier.definition_id, session)
            wf = self._load_workflow(session, dossier, definition)
            wf.cancel()
            self._sync_timers(session, dossier, definition, wf, now)  # no waiting task left: timers cancelled
            compact(wf)
            for step in session.scalars(select(models.Step).where(
                    models.Step.dossier_id == dossier.id, models.Step.state.in_(queries.OPEN_STATES))):
                step.state = "cancelled"
                session.add(models.Event(dossier_id=dossier.id, step_id=step.id, action="step.cancelled", at=now,
                                         details={"element": step.element_id, "why": "withdrawn"}))
            dossier.status = dossier.outcome = "withdrawn"
            dossier.finished_at = now
            dossier.paused_at = None
            ensure_tracking(session, dossier.id).withdrawn_reason = reason
            session.add(models.Event(dossier_id=dossier.id, actor_id=actor.id, action="dossier.withdrawn", at=now,
                                     details={"reason": reason}))
            session.add(models.Event(dossier_id=dossier.id, actor_id=actor.id, action="dossier.finished", at=now,
                                     details={"outcome": "withdrawn"}))
            self._save(session, dossier, wf, new=False)
            session.flush()
            return queries.dossier_view(session, dossier)

    # ------------------------------------------------------------------ result collection (Mẫu 06)

    def record_collection(self, actor: Actor, code: str, method: str, note: str = "") -> LifecycleInfo:
        """How the applicant collected the result: at the desk, by post or online."""
        if method not in COLLECTION_METHODS:
            raise InvalidInput(f"Hình thức nhận kết quả không hợp lệ: {method!r}; dùng {', '.join(COLLECTION_METHODS)}")
        note = _text(note, "ghi chú", 500, required=False)
        now = self.now()
        with self.transaction() as session:
            dossier = self._lock_by_code(session, code)
            if not actor.has("clerk"):
                raise PermissionDenied("Chỉ cán bộ một cửa ghi việc trả kết quả")
            if dossier.status not in ("returned", "completed", "refused"):
                raise StateError("Hồ sơ chưa có kết quả để trả")
            track = ensure_tracking(session, dossier.id)
            track.collection_method, track.collection_note = method, note
            track.returned_at = dossier.finished_at if dossier.status == "returned" and dossier.finished_at else now
            session.add(models.Event(dossier_id=dossier.id, actor_id=actor.id, action="dossier.collected", at=now,
                                     details={"method": method, "note": note,
                                              "returned_at": track.returned_at.isoformat()}))
            return _lifecycle_info(session, dossier.id)

    # ------------------------------------------------------------------ reads

    def dossier_lifecycle(self, code: str) -> LifecycleInfo:
        """Rule marks, worker marks, apology and collection of a dossier."""
        with self.Session() as session:
            dossier_id = session.scalar(select(models.Dossier.id).where(models.Dossier.code == code))
            if dossier_id is None:
                raise NotFound(f"Không có hồ sơ {code!r}")
            return _lifecycle_info(session, dossier_id)

    def papers(self, code: str, actor: Actor | None = None) -> DossierPapers:
        """The data of a dossier's printed forms (Mẫu 01, 04, 05)."""
        with self.Session() as session:
            row = queries.visible_dossier(session, code, actor)
            view = queries.dossier_view(session, row)
            version = session.get(models.DefinitionVersion, row.definition_id)
            assert version is not None
            agency = None
            line = 0
            if row.receiving_agency_id is not None:
                agency_row = session.get(models.Agency, row.receiving_agency_id)
                assert agency_row is not None
                agency = accounts.get_agency(session, agency_row.code)
                line = _register_line(session, self.calendar(), row)
            clerk = session.get(models.Official, row.received_by) if row.received_by else None
            return DossierPapers(
                dossier=view, lifecycle=_lifecycle_info(session, row.id), receiving_agency=agency,
                limit_working_days=self.definition(row.definition_id, session).limit_working_days,
                metadata=dict(version.metadata_json or {}), register_line=line,
                received_by_name=clerk.full_name if clerk else "", calendar=self.calendar())

    def register(self, actor: Actor, date_from: date, date_to: date) -> list[RegisterEntry]:
        """Mẫu 06: dossiers the official's desk received between two local dates (both included)."""
        from engine.stats import period_bounds

        cal = self.calendar()
        start, end = period_bounds(cal, date_from, date_to)
        with self.Session() as session:
            rows = session.scalars(select(models.Dossier).where(
                models.Dossier.receiving_agency_id == actor.agency_id, models.Dossier.received_at >= start,
                models.Dossier.received_at < end).order_by(models.Dossier.received_at, models.Dossier.id)).all()
            names = {v.id: v.name for v in session.scalars(select(models.DefinitionVersion).where(
                models.DefinitionVersion.id.in_({r.definition_id for r in rows})))}
            out = []
            for row in rows:
                info = _lifecycle_info(session, row.id)
                out.append(RegisterEntry(
                    line=_register_line(session, cal, row), code=row.code,
                    procedure_name=names.get(row.definition_id, row.procedure_code),
                    applicant_name=row.applicant_name, applicant_address=row.applicant_address,
                    applicant_phone=row.applicant_phone, lead_agency=_lead_agency(session, row),
                    received_at=row.received_at, due_at=row.due_at,
                    returned_at=info.returned_at or (row.finished_at if row.status == "returned" else None),
                    collection=info.collection_label, status=row.status))
            return out

    # ------------------------------------------------------------------ deadlines

    def calendar_changed(self) -> int:
        """Call after the calendar overrides changed: reload the calendar and recompute open deadlines."""
        self.invalidate_calendar()
        return self.recompute_deadlines()

    def recompute_deadlines(self) -> int:
        """Re-derive the due times of open dossiers and open steps from the calendar; returns how many changed.

        A dossier: its time limit from the receipt (15:00 cut-off) or from the last restart after a
        supplement, plus the working time spent waiting for supplements under the pause rule, plus
        the apology's extension. A step: its budget from the moment it became ready.
        """
        with self.Session() as session:
            ids = list(session.scalars(select(models.Dossier.id).where(
                models.Dossier.status.in_(OPEN_STATUSES)).order_by(models.Dossier.id)))
        changed = 0
        for dossier_id in ids:  # one short transaction per dossier
            changed += self._recompute_dossier(dossier_id)
        return changed

    def _recompute_dossier(self, dossier_id: int) -> int:
        cal = self.calendar()
        now = self.now()
        changed = 0
        with self.transaction() as session:
            dossier = self._lock_dossier(session, dossier_id)
            if dossier.status not in OPEN_STATUSES:
                return 0
            definition = self.definition(dossier.definition_id, session)
            counting_from, paused = _counting_basis(session, cal, dossier)
            original = cal.add_working_seconds(cal.add(counting_from, days=definition.limit_working_days), paused)
            apology = session.scalar(select(models.Apology).where(models.Apology.dossier_id == dossier.id))
            due = original
            if apology is not None and apology.issued_at >= _last_restart(session, dossier.id, dossier.received_at):
                due = cal.add_working_seconds(original, apology.extension_seconds)
                apology.new_due_at = due
            if (counting_from, due, original) != (dossier.counting_from, dossier.due_at, dossier.original_due_at):
                session.add(models.Event(dossier_id=dossier.id, action="dossier.due_recomputed", at=now,
                                         details={"old": dossier.due_at.isoformat() if dossier.due_at else None,
                                                  "new": due.isoformat()}))
                dossier.counting_from, dossier.due_at, dossier.original_due_at = counting_from, due, original
                if due > now:
                    session.execute(update(models.DossierTracking).where(
                        models.DossierTracking.dossier_id == dossier.id).values(warned_at=None, overdue_marked_at=None))
                changed += 1
            for step in session.scalars(select(models.Step).where(
                    models.Step.dossier_id == dossier.id, models.Step.state.in_(queries.OPEN_STATES))):
                step_due = timeliness.step_due(cal, step.ready_at, step.working_days)
                if step_due != step.due_at:
                    session.add(models.Event(dossier_id=dossier.id, step_id=step.id, action="step.due_recomputed",
                                             at=now, details={"old": step.due_at.isoformat() if step.due_at else None,
                                                              "new": step_due.isoformat()}))
                    step.due_at = step_due
                    if step_due > now:
                        step.warned_at = step.overdue_marked_at = None
                    changed += 1
            changed += _retime_timers(session, cal, dossier.id, now)
        return changed


# ---------------------------------------------------------------------- module helpers


def _retime_timers(session: Session, cal: WorkingCalendar, dossier_id: int, now: datetime) -> int:
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
            session.add(models.Event(dossier_id=dossier_id, action="timer.due_recomputed", at=now,
                                     details={"element": timer.element_id, "old": timer.due_at.isoformat(),
                                              "new": due.isoformat()}))
            timer.due_at = due
            changed += 1
    return changed


def _as_due(cal: WorkingCalendar, value: datetime | date) -> datetime:
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


def _agencies_at_fault(session: Session, dossier_id: int, now: datetime) -> set[int]:
    """Agencies holding an open step of the dossier, or whose step was (or is) late."""
    rows = session.execute(select(models.Step.agency_id, models.Step.state, models.Step.timeliness,
                                  models.Step.due_at).where(models.Step.dossier_id == dossier_id)).all()
    out = set()
    for agency_id, state, kind, due in rows:
        if state in queries.OPEN_STATES or kind == "late" or (state == "completed" and kind is None
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


def _last_restart(session: Session, dossier_id: int, received_at: datetime) -> datetime:
    restarts = [end for _, end, rule in supplement_intervals(session, dossier_id) if end and rule == "restart"]
    return max(restarts, default=received_at)


def _counting_basis(session: Session, cal: WorkingCalendar, dossier: models.Dossier) -> tuple[datetime, int]:
    """When the limit runs from (receipt or last restart, with the 15:00 cut-off) and the paused working seconds."""
    rounds = supplement_intervals(session, dossier.id)
    start = _last_restart(session, dossier.id, dossier.received_at)
    counting_from = cal.counting_start(start)
    paused = sum(cal.working_seconds(max(a, counting_from), b) for a, b, rule in rounds
                 if b is not None and rule == "pause" and b > counting_from)
    return counting_from, paused


def _lifecycle_info(session: Session, dossier_id: int) -> LifecycleInfo:
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


def _notice_view(session: Session, row: models.DeskNotice) -> DeskNoticeView:
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


def _register_line(session: Session, cal: WorkingCalendar, row: models.Dossier) -> int:
    """The dossier's line in its desk's register: its rank among the desk's dossiers of that year."""
    year_start = datetime(cal.localize(row.received_at).year, 1, 1, tzinfo=cal.zone)
    return session.scalar(select(func.count()).select_from(models.Dossier).where(
        models.Dossier.receiving_agency_id == row.receiving_agency_id, models.Dossier.received_at >= year_start,
        (models.Dossier.received_at < row.received_at)
        | ((models.Dossier.received_at == row.received_at) & (models.Dossier.id <= row.id)))) or 0


def _lead_agency(session: Session, row: models.Dossier) -> str:
    """The agency that handles the dossier: the first agency other than the desk that held a step."""
    names = session.execute(select(models.Agency.name).join(models.Step, models.Step.agency_id == models.Agency.id)
                            .where(models.Step.dossier_id == row.id, models.Step.agency_id != row.receiving_agency_id)
                            .order_by(models.Step.id).limit(1)).scalars().all()
    return names[0] if names else ""

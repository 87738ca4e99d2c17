"""Lifecycle actions beyond plain steps: apology (Mẫu 04), withdrawal, result collection, and
the printed papers and register of a desk (rules in engine.lifecycle)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from engine import accounts, models, queries
from engine.accounts import Actor
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StateError
from engine.lifecycle import (
    APOLOGY_ROLES,
    COLLECTION_METHODS,
    DossierPapers,
    LifecycleInfo,
    RegisterEntry,
    agencies_at_fault,
    as_due,
    clean_text,
    lead_agency,
    lifecycle_info,
    register_line,
)
from engine.services.progress import Progress, ensure_tracking
from engine.services.unit import Core
from engine.stats import period_bounds
from engine.statuses import FINISHED_STATUSES, OPEN_STATES, RESULT_STATUSES, DossierStatus, StepState
from engine.store import compact
from engine.views import DossierView


class Lifecycle:
    def __init__(self, core: Core, progress: Progress) -> None:
        self.core = core
        self.progress = progress

    def issue_apology(self, actor: Actor, code: str, reason: str, new_due_at: datetime | date) -> DossierView:
        """Mẫu 04: the agency at fault apologises and sets a new return date, once, before the due time."""
        if not actor.has(*APOLOGY_ROLES):
            raise PermissionDenied("Chỉ lãnh đạo hoặc cán bộ của cơ quan làm chậm được lập phiếu xin lỗi")
        reason = clean_text(reason, "lý do chậm trễ")
        with self.core.unit() as unit:
            session, now, cal = unit.session, unit.now, unit.calendar
            new_due = as_due(cal, new_due_at)
            dossier = self.progress.lock_by_code(unit, code)
            if dossier.status not in (DossierStatus.RECEIVED, DossierStatus.PROCESSING):
                raise StateError(f"Hồ sơ đang ở trạng thái {dossier.status}: không hẹn lại được")
            at_fault = agencies_at_fault(session, dossier.id, now)
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
                models.Step.state.in_(OPEN_STATES)).order_by(models.Step.id).limit(1))
            session.add(models.Apology(dossier_id=dossier.id, agency_id=actor.agency_id, step_id=step_id,
                                       issued_by=actor.id, issued_at=now, reason=reason, original_due_at=original,
                                       new_due_at=new_due, extension_seconds=cal.working_seconds(original, new_due)))
            dossier.original_due_at = original
            dossier.due_at = new_due
            dossier.apology_count += 1
            unit.record("dossier.apology", dossier_id=dossier.id, actor_id=actor.id,
                        details={"agency": actor.agency_code, "reason": reason,
                                 "original_due_at": original.isoformat(), "new_due_at": new_due.isoformat()})
            session.flush()
            return unit.view(dossier)

    def withdraw(self, actor: Actor, code: str, reason: str = "") -> DossierView:
        """The applicant withdraws the dossier at the desk that received it: the workflow is cancelled."""
        reason = clean_text(reason, "lý do rút hồ sơ", required=False)
        with self.core.unit() as unit:
            session, now = unit.session, unit.now
            dossier = self.progress.lock_by_code(unit, code)
            if not actor.has("clerk") or actor.agency_id != dossier.receiving_agency_id:
                raise PermissionDenied("Chỉ bộ phận một cửa đã tiếp nhận hồ sơ được nhận yêu cầu rút hồ sơ")
            if dossier.status in FINISHED_STATUSES:
                raise StateError(f"Hồ sơ đã kết thúc ({dossier.status}): không rút được")
            definition = self.core.definition(session, dossier.definition_id)
            wf = self.progress.load(unit, dossier, definition)
            wf.cancel()
            self.progress.sync_timers(unit, dossier, definition, wf)  # no waiting task left: timers cancelled
            compact(wf)
            for step in session.scalars(select(models.Step).where(
                    models.Step.dossier_id == dossier.id, models.Step.state.in_(OPEN_STATES))):
                step.state = StepState.CANCELLED
                unit.record("step.cancelled", dossier_id=dossier.id, step_id=step.id,
                            details={"element": step.element_id, "why": "withdrawn"})
            dossier.status = dossier.outcome = DossierStatus.WITHDRAWN
            dossier.finished_at = now
            dossier.paused_at = None
            ensure_tracking(session, dossier.id).withdrawn_reason = reason
            unit.record("dossier.withdrawn", dossier_id=dossier.id, actor_id=actor.id, details={"reason": reason})
            unit.record("dossier.finished", dossier_id=dossier.id, actor_id=actor.id, details={"outcome": "withdrawn"})
            self.progress.save(unit, dossier, wf, new=False)
            session.flush()
            return unit.view(dossier)

    def record_collection(self, actor: Actor, code: str, method: str, note: str = "") -> LifecycleInfo:
        """How the applicant collected the result: at the desk, by post or online."""
        if method not in COLLECTION_METHODS:
            raise InvalidInput(f"Hình thức nhận kết quả không hợp lệ: {method!r}; dùng {', '.join(COLLECTION_METHODS)}")
        note = clean_text(note, "ghi chú", 500, required=False)
        with self.core.unit() as unit:
            session, now = unit.session, unit.now
            dossier = self.progress.lock_by_code(unit, code)
            if not actor.has("clerk"):
                raise PermissionDenied("Chỉ cán bộ một cửa ghi việc trả kết quả")
            if dossier.status not in RESULT_STATUSES:
                raise StateError("Hồ sơ chưa có kết quả để trả")
            track = ensure_tracking(session, dossier.id)
            track.collection_method, track.collection_note = method, note
            returned = dossier.status == DossierStatus.RETURNED and dossier.finished_at
            track.returned_at = dossier.finished_at if returned and dossier.finished_at else now
            unit.record("dossier.collected", dossier_id=dossier.id, actor_id=actor.id,
                        details={"method": method, "note": note, "returned_at": track.returned_at.isoformat()})
            return lifecycle_info(session, dossier.id)

    def dossier_lifecycle(self, code: str) -> LifecycleInfo:
        """Rule marks, worker marks, apology and collection of a dossier."""
        with self.core.read() as session:
            dossier_id = session.scalar(select(models.Dossier.id).where(models.Dossier.code == code))
            if dossier_id is None:
                raise NotFound(f"Không có hồ sơ {code!r}")
            return lifecycle_info(session, dossier_id)

    def papers(self, code: str, actor: Actor | None = None) -> DossierPapers:
        """The data of a dossier's printed forms (Mẫu 01, 04, 05)."""
        with self.core.read() as session:
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
                line = register_line(session, self.core.calendar(), row)
            clerk = session.get(models.Official, row.received_by) if row.received_by else None
            return DossierPapers(
                dossier=view, lifecycle=lifecycle_info(session, row.id), receiving_agency=agency,
                limit_working_days=self.core.definition(session, row.definition_id).limit_working_days,
                metadata=dict(version.metadata_json or {}), register_line=line,
                received_by_name=clerk.full_name if clerk else "", calendar=self.core.calendar())

    def register(self, actor: Actor, date_from: date, date_to: date) -> list[RegisterEntry]:
        """Mẫu 06: dossiers the official's desk received between two local dates (both included)."""
        cal = self.core.calendar()
        start, end = period_bounds(cal, date_from, date_to)
        with self.core.read() as session:
            rows = session.scalars(select(models.Dossier).where(
                models.Dossier.receiving_agency_id == actor.agency_id, models.Dossier.received_at >= start,
                models.Dossier.received_at < end).order_by(models.Dossier.received_at, models.Dossier.id)).all()
            names = {v.id: v.name for v in session.scalars(select(models.DefinitionVersion).where(
                models.DefinitionVersion.id.in_({r.definition_id for r in rows})))}
            out = []
            for row in rows:
                info = lifecycle_info(session, row.id)
                out.append(RegisterEntry(
                    line=register_line(session, cal, row), code=row.code,
                    procedure_name=names.get(row.definition_id, row.procedure_code),
                    applicant_name=row.applicant_name, applicant_address=row.applicant_address,
                    applicant_phone=row.applicant_phone, lead_agency=lead_agency(session, row),
                    received_at=row.received_at, due_at=row.due_at,
                    returned_at=info.returned_at or (row.finished_at if row.status == DossierStatus.RETURNED else None),
                    collection=info.collection_label, status=row.status))
            return out


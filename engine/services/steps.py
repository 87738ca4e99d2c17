"""The human steps of a dossier: claim, unclaim, reassign, complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, literal, select, update

from engine import accounts, db, models, queries
from engine.accounts import Actor
from engine.attached import check_attachments
from engine.authorization import Write, authorize_write
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RetryableConflict, StateError
from engine.forms import validate_form
from engine.prepared import Prepared
from engine.services.progress import LOOP_INCIDENT, MAX_ENGINE_TASKS, LoopRanOut, Progress
from engine.services.unit import Core, UnitOfWork
from engine.statuses import OPEN_STATES, DossierStatus, StepState
from engine.timeliness import timeliness
from engine.views import DossierView, StepView

MAX_NOTE = 4000
ROLE_REFUSED = "Bước này dành cho cán bộ có vai trò khác trong cơ quan"

_STEPS: Any = models.Step.__table__
# One conditional update decides a claim race; only a refusal reads the row to say why.
_CLAIM = Prepared(update(_STEPS).where(
    _STEPS.c.id == bindparam("step_id"), _STEPS.c.state == StepState.READY,
    _STEPS.c.agency_id == bindparam("b_agency"),
    _STEPS.c.role.in_([literal(""), bindparam("b_role1"), bindparam("b_role2"), bindparam("b_role3")]),
).values(state=StepState.CLAIMED, assignee_id=bindparam("actor"), claimed_at=bindparam("at")).returning(
    _STEPS.c.dossier_id))
_COMPLETE = Prepared(update(_STEPS).where(
    _STEPS.c.id == bindparam("step_id"), _STEPS.c.state == StepState.CLAIMED,
    _STEPS.c.assignee_id == bindparam("by"),
).values(state=StepState.COMPLETED, completed_at=bindparam("at"), completed_by=bindparam("by"),
         form_data=bindparam("form_data", type_=_STEPS.c.form_data.type), note=bindparam("note"),
         timeliness=bindparam("timeliness")))


_STEP_BY_ID = select(_STEPS).where(_STEPS.c.id == bindparam("step_id"))
_STEP_ROW = Prepared(_STEP_BY_ID)
_STEP_ROW_LOCKED = Prepared(_STEP_BY_ID.with_for_update(key_share=True))


def state_conflict(step: Any) -> Conflict:
    """Why a step in this state refuses the action."""
    if step.state == StepState.CLAIMED:
        return Conflict("Bước đã có cán bộ khác nhận")
    if step.state == StepState.COMPLETED:
        return StateError("Bước đã hoàn thành")
    if step.state == StepState.CANCELLED:
        return StateError("Bước đã bị hủy")
    return StateError(f"Bước đang ở trạng thái {step.state}")


class Steps:
    def __init__(self, core: Core, progress: Progress) -> None:
        self.core = core
        self.progress = progress

    @staticmethod
    def _step_for_action(unit: UnitOfWork, actor: Actor, step_id: int, *, lock: bool = False) -> models.Step:
        stmt = select(models.Step).where(models.Step.id == step_id)
        step = unit.session.scalar(stmt.with_for_update(key_share=True) if lock else stmt)
        if step is None:
            raise NotFound(f"Không có bước {step_id}")
        authorize_write(unit.session, actor, Write.STEP, step=step)
        return step

    @staticmethod
    def _view(unit: UnitOfWork, step_id: int) -> StepView:
        view = queries.step(unit.conn, step_id)
        assert view is not None
        return view

    def claim(self, actor: Actor, step_id: int) -> StepView:
        """Take a ready step exclusively; a second claimant gets Conflict."""
        with self.core.unit() as unit:
            claimed = None
            if actor.has(*accounts.HANDLING_ROLES):
                claimed = _CLAIM.execute(unit.conn, {"step_id": step_id, "b_agency": actor.agency_id,
                                                        "actor": actor.id, "at": unit.now,
                                                        **accounts.role_params(actor)}).first()
            if claimed is None:
                step = self._step_for_action(unit, actor, step_id)  # NotFound / PermissionDenied
                if not accounts.may_handle(actor, step.role):
                    raise PermissionDenied(ROLE_REFUSED)
                if step.state == StepState.CLAIMED and step.assignee_id == actor.id:
                    return self._view(unit, step_id)
                raise state_conflict(step)
            unit.record("step.claimed", dossier_id=claimed.dossier_id, step_id=step_id, actor_id=actor.id)
            return self._view(unit, step_id)

    def unclaim(self, actor: Actor, step_id: int) -> StepView:
        """Give a claimed step back to the agency's queue (its holder, or a leader of the agency)."""
        with self.core.unit() as unit:
            step = self._step_for_action(unit, actor, step_id, lock=True)
            if step.state != StepState.CLAIMED:
                raise state_conflict(step)
            if step.assignee_id != actor.id and not actor.has("leader"):
                raise Conflict("Bước đang do cán bộ khác xử lý")
            previous = step.assignee_id
            step.state, step.assignee_id, step.claimed_at = StepState.READY, None, None
            unit.record("step.unclaimed", dossier_id=step.dossier_id, step_id=step_id, actor_id=actor.id,
                        details={"previous": previous})
            unit.session.flush()
            return self._view(unit, step_id)

    def reassign(self, actor: Actor, step_id: int, to_username: str) -> StepView:
        """A leader hands an open step to another official of the same agency."""
        with self.core.unit() as unit:
            step = self._step_for_action(unit, actor, step_id, lock=True)
            if not actor.has("leader"):
                raise PermissionDenied("Chỉ lãnh đạo cơ quan được giao lại bước")
            if step.state not in OPEN_STATES:
                raise state_conflict(step)
            target = unit.session.scalar(select(models.Official).where(models.Official.username == to_username))
            if target is None or not target.active:
                raise NotFound(f"Không có cán bộ {to_username!r}")
            if target.agency_id != step.agency_id:
                raise PermissionDenied("Chỉ giao cho cán bộ cùng cơ quan")
            if step.role and step.role not in set(target.roles.split(",")):
                raise PermissionDenied(ROLE_REFUSED)
            previous = step.assignee_id
            step.state, step.assignee_id, step.claimed_at = StepState.CLAIMED, target.id, unit.now
            unit.record("step.reassigned", dossier_id=step.dossier_id, step_id=step_id, actor_id=actor.id,
                        details={"previous": previous, "to": target.username})
            unit.session.flush()
            return self._view(unit, step_id)

    def complete(self, actor: Actor, step_id: int, data: Mapping[str, Any] | None = None,
                 note: str = "", *, with_events: bool = False,
                 with_steps: bool | Literal["open"] = True) -> DossierView:
        """Finish a step the official has claimed, with validated form data and a handover note.

        Returns the dossier with its steps; its event history only when ``with_events``.
        ``with_steps="open"`` answers with only the steps open after the completion (what to do
        next); ``with_steps=False`` with no steps at all.
        """
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"Ý kiến xử lý dài tối đa {MAX_NOTE} ký tự")
        with self.core.unit() as unit:
            conn = unit.conn
            step = _STEP_ROW.execute(conn, {"step_id": step_id}).first()
            if step is None:
                raise NotFound(f"Không có bước {step_id}")
            if step.agency_id != actor.agency_id or not actor.has(*accounts.HANDLING_ROLES):
                raise PermissionDenied("Bước này thuộc cơ quan khác")
            dossier = self.progress.lock_dossier(unit, step.dossier_id)
            if not db.is_sqlite(conn):  # read again under the dossier's lock (SQLite serialises writers)
                step = _STEP_ROW_LOCKED.execute(conn, {"step_id": step_id}).one()
            if step.state in (StepState.COMPLETED, StepState.CANCELLED):
                raise state_conflict(step)
            if step.state != StepState.CLAIMED or step.assignee_id != actor.id:
                raise Conflict("Bạn chưa nhận xử lý bước này")
            definition = self.core.definition(unit.conn, dossier.definition_id)
            spec = definition.steps[step.element_id]
            cleaned = validate_form(spec.fields, data or {}, today=unit.calendar.localize(unit.now).date())
            check_attachments(unit.conn, dossier.id, spec.fields, cleaned)
            wf = self.progress.load(unit, dossier, definition)
            task = wf.tasks.get(UUID(step.task_id))
            if task is None or not task.has_state(TaskState.READY):
                raise RetryableConflict("Bước không còn sẵn sàng trong quy trình, hãy tải lại")

            def run_task() -> None:
                task.data.update(cleaned)
                task.run()

            incident = ""
            try:
                self.progress.run(wf, definition, spec.name, run_task)
            except LoopRanOut:
                incident = LOOP_INCIDENT.format(limit=MAX_ENGINE_TASKS)
            judged = timeliness(unit.now, step.due_at, unit.calendar)
            done = _COMPLETE.execute(unit.conn, {"step_id": step.id, "at": unit.now, "by": actor.id,
                                               "form_data": cleaned, "note": note, "timeliness": judged})
            if done.rowcount != 1:
                raise RetryableConflict("Bước vừa thay đổi, hãy thử lại")
            unit.record("step.completed", dossier_id=dossier.id, step_id=step_id, actor_id=actor.id,
                        details={"element": spec.element_id, "data": cleaned, "note": note, "timeliness": judged})
            if dossier.status == DossierStatus.RECEIVED:
                dossier.status = DossierStatus.PROCESSING
            self.progress.settle(unit, dossier, definition, wf, actor.id, incident=incident)
            return unit.view(dossier, with_history=with_steps, with_events=with_events)

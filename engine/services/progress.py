"""What every writer of a dossier's workflow shares: lock, load, run, then bring the rows in line.

After the library ran (a step completed, a timer fired, a dossier received), ``settle`` registers
timers, cancels and opens step rows, moves the dossier's status, and saves the state, all in the
action's unit of work. Writers of one dossier are serialised by a lock on its row (``FOR NO KEY
UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); the state's version is checked on save.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update

from engine import db, models, queries, supplement_rules
from engine.calendar import parse_datetime
from engine.definitions import Definition
from engine.errors import ExpressionError, InvalidInput, NotFound, RetryableConflict
from engine.expressions import make_script_engine
from engine.prepared import Prepared
from engine.services.unit import Core, DossierRow, UnitOfWork
from engine.statuses import OPEN_STATES, DossierStatus, StepState
from engine.store import compact
from engine.timeliness import step_due

FAR_FUTURE = "9999-12-31T00:00:00+00:00"
LATE_BY_RULE_REASON = "Yêu cầu bổ sung hồ sơ quá một lần (QĐ 766/QĐ-TTg)"
#: Engine tasks (scripts, gateways, events) one action may run before the workflow counts as stuck
#: in a loop with no human step: the dossier then gets an incident instead of running on.
MAX_ENGINE_TASKS = 500
LOOP_INCIDENT = "Quy trình lặp quá {limit} bước tự động mà không đến bước nào của cán bộ"

_STEPS: Any = models.Step.__table__
_STATES: Any = models.WorkflowState.__table__
_OPEN_STEPS = Prepared(select(_STEPS.c.id, _STEPS.c.task_id, _STEPS.c.agency_id, _STEPS.c.step_kind,
                              _STEPS.c.element_id).where(_STEPS.c.dossier_id == bindparam("dossier_id"),
                                                         _STEPS.c.state.in_(OPEN_STATES)))
_STEP_INSERT = Prepared(insert(_STEPS).returning(_STEPS.c.id))
_CANCEL_STEP = Prepared(update(_STEPS).where(_STEPS.c.id == bindparam("step_id")).values(state=StepState.CANCELLED))
_DOSSIERS: Any = models.Dossier.__table__
_LOCK_DOSSIER = Prepared(select(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("dossier_id"))
                         .with_for_update(key_share=True))
_STATE_INSERT = Prepared(insert(_STATES))
_SAVE_STATE = Prepared(update(_STATES).where(_STATES.c.dossier_id == bindparam("b_dossier"),
                                             _STATES.c.version == bindparam("b_version")))
_TIMER_EVENTS = (DurationTimerEventDefinition, TimeDateEventDefinition)


class LoopRanOut(Exception):
    """The workflow ran MAX_ENGINE_TASKS engine tasks in one action without reaching a human step."""


def ensure_tracking(session: Any, dossier_id: int) -> models.DossierTracking:
    """The dossier's tracking row, created if missing (safe against a concurrent worker)."""
    session.execute(db.insert_ignoring(session, models.DossierTracking.__table__, index_elements=["dossier_id"]),
                    {"dossier_id": dossier_id})
    row: models.DossierTracking | None = session.get(models.DossierTracking, dossier_id, populate_existing=True)
    assert row is not None
    return row


class Progress:
    """Runs a dossier's workflow and keeps its rows in line with it (see the module docstring)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def lock_dossier(self, unit: UnitOfWork, dossier_id: int) -> DossierRow:
        # FOR NO KEY UPDATE: writers of one dossier queue, but inserts that merely reference the
        # dossier (an event: its foreign-key check takes KEY SHARE) do not wait for it.
        row = _LOCK_DOSSIER.execute(unit.conn, {"dossier_id": dossier_id}).first()
        if row is None:
            raise NotFound("Không có hồ sơ")
        return unit.track(dict(row._mapping))

    def lock_by_code(self, unit: UnitOfWork, code: str) -> DossierRow:
        dossier_id = unit.session.scalar(select(models.Dossier.id).where(models.Dossier.code == code.strip()))
        if dossier_id is None:
            raise NotFound(f"Không có hồ sơ {code!r}")
        return self.lock_dossier(unit, dossier_id)

    def new_workflow(self, definition: Definition) -> BpmnWorkflow:
        return BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())

    def load(self, unit: UnitOfWork, dossier: DossierRow, definition: Definition) -> BpmnWorkflow:
        wf = self.core.cache.take(dossier.id, dossier.state_version)
        if wf is None:
            state = unit.session.get(models.WorkflowState, dossier.id)
            if state is None or state.version != dossier.state_version:
                raise RetryableConflict("Trạng thái hồ sơ đang được cập nhật, hãy thử lại")
            wf = self.core.codec.loads(state.state, definition.spec, definition.subprocess_specs)
            wf.script_engine = make_script_engine()
        return wf

    @staticmethod
    def run(wf: BpmnWorkflow, definition: Definition, step_name: str | None,
            action: Callable[[], None] | None = None) -> None:
        """Run a library action and the engine tasks after it; diagram faults become clear errors,
        and a loop of engine tasks that never reaches a human step raises LoopRanOut."""
        ran = 0

        def count(_task: Any) -> None:
            nonlocal ran
            ran += 1
            if ran > MAX_ENGINE_TASKS:
                raise LoopRanOut

        try:
            if action is not None:
                action()
            wf.do_engine_steps(will_complete_task=count)
        except LoopRanOut:
            raise
        except ExpressionError as exc:
            raise ExpressionError(f"Lỗi biểu thức trong sơ đồ '{definition.name}': {exc}") from None
        except SpiffWorkflowException as exc:
            inner = getattr(exc, "exception", None) or exc
            if isinstance(inner, LoopRanOut):
                raise LoopRanOut from None
            where = f" sau bước '{step_name}'" if step_name else ""
            raise ExpressionError(f"Quy trình '{definition.name}' lỗi{where}: {inner}") from None

    def settle(self, unit: UnitOfWork, dossier: DossierRow, definition: Definition, wf: BpmnWorkflow,
               actor_id: int | None, *, new: bool = False, incident: str = "") -> None:
        """Sync timers and step rows with the workflow, update the status, save the state.

        With ``incident`` (the workflow ran out of its loop bound) the dossier stays open with the
        incident marked, and no status follows from the half-run workflow."""
        self.sync_timers(unit, dossier, definition, wf)
        compact(wf)
        ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
        conn = unit.conn
        open_rows = _OPEN_STEPS.execute(conn, {"dossier_id": dossier.id}).all()
        open_tasks = {r.task_id for r in open_rows}
        open_kinds = [r.step_kind for r in open_rows if r.task_id in ready]
        seen_agencies = {r.agency_id for r in open_rows} | ({dossier.receiving_agency_id} - {None})
        for row in open_rows:
            if row.task_id not in ready:
                _CANCEL_STEP.execute(conn, {"step_id": row.id})
                unit.record("step.cancelled", dossier_id=dossier.id, step_id=row.id,
                            details={"element": row.element_id})
        for task_id, task in ready.items():
            if task_id in open_tasks:
                continue
            spec = definition.steps.get(task.task_spec.bpmn_id)
            if spec is None:
                raise ExpressionError(f"Bước {task.task_spec.bpmn_id} không có trong định nghĩa")
            agency_id, agency_code = self.core.lane_agency(spec.lane, dossier.commune_code)
            if agency_id not in seen_agencies:
                queries.record_participation(unit.conn, dossier, agency_id)
                seen_agencies.add(agency_id)
            due_at = step_due(unit.calendar, unit.now, spec.working_days)
            step_id = _STEP_INSERT.execute(conn, columns=True, params={
                "dossier_id": dossier.id, "element_id": spec.element_id, "task_id": task_id, "name": spec.name,
                "lane": spec.lane, "agency_id": agency_id, "step_kind": spec.step_kind, "role": spec.role,
                "state": StepState.READY,
                "working_days": spec.working_days, "ready_at": unit.now, "due_at": due_at, "note": ""}).scalar()
            unit.record("step.ready", dossier_id=dossier.id, step_id=step_id,
                        details={"element": spec.element_id, "name": spec.name, "agency": agency_code,
                                 "due_at": due_at.isoformat()})
            open_kinds.append(spec.step_kind)
        if incident:
            self.mark_incident(unit, dossier, incident, actor_id)
        else:
            self.update_status(unit, dossier, definition, wf, actor_id, open_kinds)
        self.save(unit, dossier, wf, new=new)

    def mark_incident(self, unit: UnitOfWork, dossier: DossierRow, reason: str, actor_id: int | None) -> None:
        if dossier.status == DossierStatus.RECEIVED and dossier.state_version > 0:
            dossier.status = DossierStatus.PROCESSING
        dossier.incident = reason[:500]
        unit.record("dossier.incident", dossier_id=dossier.id, actor_id=actor_id, details={"reason": dossier.incident})

    def update_status(self, unit: UnitOfWork, dossier: DossierRow, definition: Definition,
                      wf: BpmnWorkflow, actor_id: int | None, open_kinds: list[str]) -> None:
        if wf.is_completed():
            outcome = definition.final_outcome(wf)
            dossier.outcome = dossier.status = outcome
            dossier.finished_at = unit.now
            dossier.paused_at = None
            unit.record("dossier.finished", dossier_id=dossier.id, actor_id=actor_id, details={"outcome": outcome})
            return
        if "supplement" in open_kinds:
            if dossier.status != DossierStatus.WAITING_SUPPLEMENT:
                dossier.status = DossierStatus.WAITING_SUPPLEMENT
                dossier.paused_at = unit.now
                unit.record("dossier.waiting_supplement", dossier_id=dossier.id, actor_id=actor_id)
                self.supplement_requested(unit, dossier, actor_id)
        elif dossier.status == DossierStatus.WAITING_SUPPLEMENT:
            self.resume_after_supplement(unit, dossier, definition, actor_id)
        elif dossier.status == DossierStatus.RECEIVED and dossier.state_version > 0:
            dossier.status = DossierStatus.PROCESSING

    def supplement_requested(self, unit: UnitOfWork, dossier: DossierRow, actor_id: int | None) -> None:
        """Supplement once (Điều 15.3, 19.4; QĐ 766): the second request marks the dossier late; a request
        later than 3 working days after the agency received the dossier is recorded as late
        (engine.supplement_rules)."""
        track = ensure_tracking(unit.session, dossier.id)
        track.supplement_requests += 1
        supplement_rules.record_if_late(unit.session, unit.calendar, dossier.id, unit.now, actor_id, unit.record)
        if track.supplement_requests > 1 and not track.late_by_rule:
            track.late_by_rule = True
            track.late_reason = LATE_BY_RULE_REASON
            unit.record("dossier.late_by_rule", dossier_id=dossier.id, actor_id=actor_id,
                        details={"reason": LATE_BY_RULE_REASON, "supplement_requests": track.supplement_requests})

    def resume_after_supplement(self, unit: UnitOfWork, dossier: DossierRow, definition: Definition,
                                actor_id: int | None) -> None:
        """Art. 19.4: the time limit restarts from the complete dossier (or pauses, if so configured)."""
        cal, now, rule = unit.calendar, unit.now, unit.settings.supplement_rule
        paused_at = dossier.paused_at or now
        if rule == "restart":
            dossier.counting_from = cal.counting_start(now)
            dossier.due_at = cal.add(dossier.counting_from, days=definition.limit_working_days)
        elif dossier.due_at is not None:
            dossier.due_at = cal.add_working_seconds(dossier.due_at, cal.working_seconds(paused_at, now))
        dossier.paused_seconds += int((now - paused_at).total_seconds())
        dossier.paused_at = None
        dossier.supplement_count += 1
        dossier.original_due_at = dossier.due_at
        dossier.status = DossierStatus.PROCESSING
        unit.record("dossier.supplemented", dossier_id=dossier.id, actor_id=actor_id,
                    details={"rule": rule, "due_at": dossier.due_at.isoformat() if dossier.due_at else None})

    def sync_timers(self, unit: UnitOfWork, dossier: DossierRow, definition: Definition,
                    wf: BpmnWorkflow) -> None:
        """Register waiting timer events with due times in working time; the worker fires them."""
        if not definition.has_timers:
            return
        waiting: dict[str, Any] = {}
        for task in wf.get_tasks(state=TaskState.WAITING):
            if isinstance(getattr(task.task_spec, "event_definition", None), _TIMER_EVENTS):
                waiting[str(task.id)] = task
                # Keep the library's own wall clock from ever firing it: we fire in working time.
                task._set_internal_data(event_value=FAR_FUTURE)
        session = unit.session
        pending = session.scalars(select(models.Timer).where(
            models.Timer.dossier_id == dossier.id, models.Timer.fired_at.is_(None),
            models.Timer.cancelled_at.is_(None))).all()
        known = {t.task_id for t in pending}
        for timer in pending:
            if timer.task_id not in waiting:
                timer.cancelled_at = unit.now
        for task_id, task in waiting.items():
            if task_id in known:
                continue
            node = definition.document.node(task.task_spec.bpmn_id)
            expr = (node.timer if node and node.timer else "").strip().strip("'\"")
            session.add(models.Timer(dossier_id=dossier.id, element_id=task.task_spec.bpmn_id, task_id=task_id,
                                     expression=expr[:255], due_at=self.timer_due(unit, expr), started_at=unit.now))

    @staticmethod
    def timer_due(unit: UnitOfWork, expr: str) -> datetime:
        if expr.upper().startswith("P"):
            return unit.calendar.add_duration(unit.now, expr)
        try:
            return parse_datetime(expr, unit.calendar.config.timezone)
        except (InvalidInput, ValueError):
            raise ExpressionError(f"Biểu thức hẹn giờ không hợp lệ: {expr!r}") from None

    def save(self, unit: UnitOfWork, dossier: DossierRow, wf: BpmnWorkflow, *, new: bool) -> None:
        """Write the state (its size checked first) at the next version; a moved version is a conflict."""
        text = self.core.codec.dumps(wf)
        old = dossier.state_version
        if new:
            _STATE_INSERT.execute(unit.conn, columns=True, params={"dossier_id": dossier.id, "version": 1,
                                                                   "state": text, "updated_at": unit.now})
        else:
            result = _SAVE_STATE.execute(unit.conn, columns=True, params={
                "b_dossier": dossier.id, "b_version": old, "version": old + 1, "state": text,
                "updated_at": unit.now})
            if result.rowcount != 1:
                raise RetryableConflict("Hồ sơ vừa được người khác cập nhật, hãy thử lại")
        dossier.state_version = old + 1
        unit.keep.append((dossier.id, dossier.state_version, wf))

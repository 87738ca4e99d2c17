"""Claim and complete on the raw DB-API path: the few statements an ordinary step needs, nothing else.

An ordinary completion (the dossier is being processed, no supplement is requested, no timer
starts or stops) reads the step, locks the dossier, runs the workflow, writes the step rows, the
events and the state, and answers, in one transaction of about ten prepared statements. Anything
rarer raises :class:`SlowPath` *before its transaction commits*; the caller then runs the ORM path
of :class:`engine.runtime.Engine`, which handles every case. Both paths write the same rows (tests
compare them) and take the same locks, so they may run side by side in any number of processes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, exists, func, insert, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine import accounts, models, queries
from engine.accounts import Actor
from engine.attached import has_files
from engine.errors import Conflict, NotFound, PermissionDenied, RetryableConflict
from engine.expressions import make_script_engine
from engine.forms import validate_form
from engine.rawsql import Prepared, Raw, insert_of, raw_transaction
from engine.store import COMPACT_DEPTH, compact
from engine.timeliness import step_due, timeliness
from engine.views import DossierView, StepView

if TYPE_CHECKING:
    from engine.runtime import Engine

_STEPS: Any = models.Step.__table__
_DOSSIERS: Any = models.Dossier.__table__
_STATES: Any = models.WorkflowState.__table__
_EVENTS: Any = models.Event.__table__

_STEP_ROW = select(_STEPS.c.id, _STEPS.c.dossier_id, _STEPS.c.agency_id, _STEPS.c.state, _STEPS.c.assignee_id,
                   _STEPS.c.element_id, _STEPS.c.task_id, _STEPS.c.due_at).where(_STEPS.c.id == bindparam("step_id"))
# The step and its dossier in one statement, the dossier locked FOR NO KEY UPDATE as
# Engine._lock_dossier locks it (see the deadlock note there); SQLite's BEGIN IMMEDIATE already
# serialises writers. The step columns may be stale on PostgreSQL: the conditional update decides.
_STEP_KEYS = ("id", "dossier_id", "agency_id", "state", "assignee_id", "element_id", "task_id", "due_at")
_STEP_AND_DOSSIER = (
    select(*(_STEPS.c[k].label(f"step_{k}") for k in _STEP_KEYS), _DOSSIERS,
           _STATES.c.version.label("saved_version"), _STATES.c.state.label("saved_state"))
    .join(_DOSSIERS, _DOSSIERS.c.id == _STEPS.c.dossier_id)
    .outerjoin(_STATES, _STATES.c.dossier_id == _STEPS.c.dossier_id)
    .where(_STEPS.c.id == bindparam("step_id"))
    .with_for_update(of=_DOSSIERS, key_share=True)
)
_STATE_ROW = select(_STATES.c.state, _STATES.c.version).where(_STATES.c.dossier_id == bindparam("dossier_id"))
# PostgreSQL: the step row, locked after its dossier (the order of every writer, as the ORM path
# locks them) and so read as it is now, not as the snapshot of the statement that waited for the
# dossier saw it. While it is held nobody else can claim, release, reassign or complete the step.
_STEP_LOCKED = (select(_STEPS.c.state, _STEPS.c.assignee_id).where(_STEPS.c.id == bindparam("step_id"))
                .with_for_update(key_share=True))
# The open steps of a step's dossier, with every column of their views: the sync below needs a few
# of them, and an answer that asks only for the open steps (``with_steps="open"``) is built from
# these rows and the rows it inserts, with no read-back. Sent with the statement that locks the
# dossier (one round trip on PostgreSQL), it runs after the lock is granted and so sees every
# earlier writer's rows.
_OPEN_STEP_ROWS_OF_STEP = queries._step_select().where(
    _STEPS.c.dossier_id == select(_STEPS.c.dossier_id).where(_STEPS.c.id == bindparam("step_id")).scalar_subquery(),
    queries.OPEN_SQL).order_by(_STEPS.c.ready_at, _STEPS.c.id)
_MILLI = Decimal("0.001")  # steps.working_days is NUMERIC(8, 3): what a read gives back
_COMPLETE_CLAIMED = update(_STEPS).where(
    _STEPS.c.id == bindparam("step_id"), _STEPS.c.state == "claimed", _STEPS.c.assignee_id == bindparam("by"),
).values(state="completed", completed_at=bindparam("at"), completed_by=bindparam("by"),
         form_data=bindparam("form_data", type_=_STEPS.c.form_data.type), note=bindparam("note"),
         timeliness=bindparam("timeliness"))
_CANCEL_STEP = update(_STEPS).where(_STEPS.c.id == bindparam("step_id")).values(state="cancelled")
_STEP_COLUMNS = ("dossier_id", "element_id", "task_id", "name", "lane", "agency_id", "step_kind", "role", "state",
                 "working_days", "ready_at", "due_at", "note")
_STEP_INSERT = insert_of(_STEPS, _STEP_COLUMNS).returning(_STEPS.c.id)
# PostgreSQL: the new step and its "step.ready" event in one statement, which needs no answer
# before the batch's COMMIT (the event takes the step's id on the server); the id is read after.
_NEW_STEP: Any = insert_of(_STEPS, _STEP_COLUMNS).returning(_STEPS.c.id).cte("new_step")
_STEP_INSERT_AND_LOG = select(_NEW_STEP.c.id).add_cte(insert(_EVENTS).from_select(
    ["dossier_id", "step_id", "actor_id", "action", "at", "details"],
    select(bindparam("dossier_id", type_=_EVENTS.c.dossier_id.type), _NEW_STEP.c.id, null(), literal("step.ready"),
           bindparam("ready_at", type_=_EVENTS.c.at.type), bindparam("e_details", type_=_EVENTS.c.details.type)),
).cte("ready_event"))
_EVENT_INSERT = insert_of(_EVENTS, ("dossier_id", "step_id", "actor_id", "action", "at", "details"))
_SAVE_STATE = update(_STATES).where(_STATES.c.dossier_id == bindparam("b_dossier"),
                                    _STATES.c.version == bindparam("b_version")).values(
    version=bindparam("b_new"), state=bindparam("b_state"), updated_at=bindparam("b_at")).returning(_STATES.c.version)


def _expect_one(dml: Any, what: str, alongside: Callable[[Any], Any] | None = None) -> Any:
    """PostgreSQL: ``dml`` (an UPDATE … RETURNING) wrapped so that the server aborts the
    transaction unless it touched exactly one row (migration 0007): it can then share the batch
    that ends with COMMIT, with no round trip to check its count. ``alongside`` gives another
    data-modifying CTE (from the first's, to use its rows) run by the same statement."""
    done = dml.cte(f"expect_{what}")
    stmt = select(func.lienthong_expect_one(select(func.count()).select_from(done).scalar_subquery(), literal(what)))
    return stmt.add_cte(alongside(done)) if alongside is not None else stmt


_EVENT_COLUMNS = ["dossier_id", "step_id", "actor_id", "action", "at", "details"]
# The completion and its "step.completed" event (bound as e_details), one statement.
_COMPLETE_CLAIMED_EXPECTED = _expect_one(
    _COMPLETE_CLAIMED.returning(_STEPS.c.id, _STEPS.c.dossier_id), "step",
    lambda done: insert(_EVENTS).from_select(_EVENT_COLUMNS, select(
        done.c.dossier_id, done.c.id, bindparam("by", type_=_EVENTS.c.actor_id.type), literal("step.completed"),
        bindparam("at", type_=_EVENTS.c.at.type), bindparam("e_details", type_=_EVENTS.c.details.type),
    )).cte("completed_event"))
_SAVE_STATE_EXPECTED = _expect_one(_SAVE_STATE, "state")
# The usual case: the state saved and the dossier's version moved on, one statement.
_SAVE_STATE_AND_VERSION = _expect_one(
    _SAVE_STATE, "state",
    lambda _saved: update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("b_dossier"))
    .values(state_version=bindparam("b_new")).cte("dossier_version"))

_DOSSIER_AFTER_STEP = update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("b_id")).values(
    state_version=bindparam("b_version"), status=bindparam("b_status"), outcome=bindparam("b_outcome"),
    finished_at=bindparam("b_finished", type_=_DOSSIERS.c.finished_at.type),
    paused_at=bindparam("b_paused", type_=_DOSSIERS.c.paused_at.type))
# The usual case, nothing but the version changing: SQLite rewrites the entries of every index on a
# column an UPDATE sets, even to its own value (two pages of ix_dossiers_status* per completion).
_DOSSIER_VERSION = update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("b_id")).values(
    state_version=bindparam("b_version"))
_CLAIM_STEP = update(_STEPS).where(
    _STEPS.c.id == bindparam("step_id"), _STEPS.c.state == "ready", _STEPS.c.agency_id == bindparam("b_agency"),
    _STEPS.c.role.in_([literal(""), bindparam("b_role1"), bindparam("b_role2"), bindparam("b_role3")]),
).values(state="claimed", assignee_id=bindparam("actor"), claimed_at=bindparam("at")).returning(_STEPS.c.dossier_id)
# PostgreSQL: the claim and its event in one statement; the event is written only if the claim was.
_CLAIMED = _CLAIM_STEP.cte("claimed")
_CLAIM_AND_LOG = insert(_EVENTS).from_select(
    ["dossier_id", "step_id", "actor_id", "action", "at", "details"],
    select(_CLAIMED.c.dossier_id, bindparam("step_id", type_=_EVENTS.c.step_id.type),
           bindparam("actor", type_=_EVENTS.c.actor_id.type), literal("step.claimed"),
           bindparam("at", type_=_EVENTS.c.at.type), bindparam("details", type_=_EVENTS.c.details.type)),
).returning(_EVENTS.c.dossier_id)

_DEFINITIONS: Any = models.DefinitionVersion.__table__
_AGENCIES: Any = models.Agency.__table__
_SEQUENCES: Any = models.DossierSequence.__table__
_LATEST_DEFINITION = (select(_DEFINITIONS.c.id, _DEFINITIONS.c.procedure_code, _DEFINITIONS.c.version)
                      .where(_DEFINITIONS.c.procedure_code == bindparam("code"))
                      .order_by(_DEFINITIONS.c.version.desc()).limit(1))
_UNIT_CODE = select(_AGENCIES.c.unit_code).where(_AGENCIES.c.id == bindparam("agency_id"))
_DOSSIER_COLUMNS = ("code", "definition_id", "procedure_code", "status", "applicant_name", "applicant_search",
                    "applicant_id_number", "applicant_phone", "applicant_email", "applicant_address", "data",
                    "receiving_agency_id", "received_by", "received_at", "counting_from", "due_at",
                    "original_due_at", "outcome", "lookup_secret", "supplement_count", "paused_seconds",
                    "apology_count", "state_version")
_DOSSIER_INSERT = insert_of(_DOSSIERS, _DOSSIER_COLUMNS).returning(_DOSSIERS.c.id)
_TAKING_PART: Any = models.DossierAgency.__table__
# The rule of queries.visible_condition: the official's agency received the dossier or holds or held a step.
_DOSSIER_BY_CODE = select(_DOSSIERS, exists().where(
    _TAKING_PART.c.dossier_id == _DOSSIERS.c.id, _TAKING_PART.c.agency_id == bindparam("agency_id"),
).label("taking_part")).where(_DOSSIERS.c.code == bindparam("code"))
_STATE_INSERT = insert_of(_STATES, ("dossier_id", "version", "state", "updated_at"))

_TIMER_EVENTS = (DurationTimerEventDefinition, TimeDateEventDefinition)


def step_row(dossier_id: int, spec: Any, task_id: str, agency_id: int, now: datetime,
             due_at: datetime) -> dict[str, Any]:
    """The row of a step that just became ready (both paths insert it)."""
    return {"dossier_id": dossier_id, "element_id": spec.element_id, "task_id": task_id, "name": spec.name,
            "lane": spec.lane, "agency_id": agency_id, "step_kind": spec.step_kind, "role": spec.role,
            "state": "ready",
            "working_days": spec.working_days, "ready_at": now, "due_at": due_at, "note": ""}


def ready_details(spec: Any, agency_code: str, due_at: datetime) -> dict[str, Any]:
    """The details of its ``step.ready`` event."""
    return {"element": spec.element_id, "name": spec.name, "agency": agency_code, "due_at": due_at.isoformat()}


class SlowPath(Exception):
    """The action needs the full ORM path; nothing of the fast attempt is committed."""


def waiting_timers(wf: BpmnWorkflow) -> set[UUID]:
    """Ids of the workflow's waiting timer events (the rows of the ``timers`` table mirror them)."""
    return {t.id for t in wf.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), _TIMER_EVENTS)}


def event(action: str, at: datetime, dossier_id: int, *, step_id: int | None = None, actor_id: int | None = None,
          details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"dossier_id": dossier_id, "step_id": step_id, "actor_id": actor_id, "action": action, "at": at,
            "details": details or {}}


class FastPathMixin:
    """``Engine``'s raw-SQL claim and complete (see the module docstring)."""

    _prepared: dict[int, Prepared]

    def _raw(self, *, write: bool = True) -> Any:
        engine = cast("Engine", self)
        engine.calendar()  # refresh outside the write lock, as Engine.transaction does
        return raw_transaction(engine.db, self._prepared, write=write)

    def _dossier_fast(self, code: str, actor: Actor | None, *, with_events: bool) -> DossierView:
        """A dossier with its steps (and history), visibility checked in the same statement."""
        with self._raw(write=False) as raw:
            row = raw.first(_DOSSIER_BY_CODE, {"code": code, "agency_id": actor.agency_id if actor else -1})
            if row is None:
                raise NotFound(f"Không có hồ sơ {code!r}")
            if actor is not None and not actor.has("admin") and not row.taking_part:
                raise PermissionDenied("Cơ quan của bạn không tham gia hồ sơ này")
            return self._view(raw, SimpleNamespace(**row._asdict()), with_steps=True, with_events=with_events)

    def _claim_fast(self, actor: Actor, step_id: int, now: datetime) -> StepView | None:
        """Claim by one conditional update; None when it did not apply (the caller says why)."""
        if not actor.has(*accounts.HANDLING_ROLES):
            return None
        with self._raw() as raw:
            if not raw.sqlite:  # one round trip: the claim with its event, the read, COMMIT
                logged = raw.later(_CLAIM_AND_LOG, {"step_id": step_id, "b_agency": actor.agency_id,
                                                    "actor": actor.id, "at": now, "details": {},
                                                    **accounts.role_params(actor)})
                read = raw.later(queries._by_step(), {"step_id": step_id})
                raw.finish()
                return queries._step_view(read.first()) if logged.first() is not None else None
            claimed = raw.first(_CLAIM_STEP, {"step_id": step_id, "b_agency": actor.agency_id,
                                              "actor": actor.id, "at": now, **accounts.role_params(actor)})
            if claimed is None:
                return None
            raw.run(_EVENT_INSERT, event("step.claimed", now, claimed.dossier_id, step_id=step_id,
                                         actor_id=actor.id))
            row = raw.first(queries._by_step(), {"step_id": step_id})
            return queries._step_view(row)

    def _start_fast(self, actor: Actor, procedure_code: str, applicant: dict[str, str], data: Any, now: datetime,
                    *, with_history: bool | Literal["open"],
                    applicant_errors: dict[str, str] | None = None) -> DossierView:
        """Receive a dossier whose diagram has no timers and does not begin with a supplement request."""
        from engine.runtime import search_key

        engine = cast("Engine", self)
        with self._raw() as raw:
            # One round trip on PostgreSQL: the procedure's latest version and the desk's unit code.
            latest = raw.later(_LATEST_DEFINITION, {"code": procedure_code})
            unit_code = raw.later(_UNIT_CODE, {"agency_id": actor.agency_id})
            found = latest.first()
            if found is None:
                raise NotFound(f"Không có thủ tục {procedure_code!r}")
            definition = engine.definition(found.id)
            if definition.has_timers:
                raise SlowPath  # the ORM path registers the timers a dossier starts with
            cleaned = validate_form(definition.start_fields, data or {}, today=engine.today(now),
                                    pending=applicant_errors)
            cal = engine.calendar()
            counting_from = cal.counting_start(now)
            due = cal.add(counting_from, days=definition.limit_working_days)
            wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())
            for task in wf.get_tasks(state=TaskState.READY):
                task.data.update(cleaned)
            engine._run(wf, definition, None)
            ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
            if wf.is_completed() or definition.opens_supplement(ready.values()):
                raise SlowPath
            unit = unit_code.first()
            agency_code = (unit.unit_code if unit else "") or actor.agency_code
            day = cal.localize(now).strftime("%y%m%d")
            seq = raw.first(_sequence_upsert(raw.dialect.name), {"agency_code": agency_code, "day": day})[0]
            dossier = SimpleNamespace(
                code=f"{agency_code}-{day}-{seq:04d}", definition_id=found.id, procedure_code=found.procedure_code,
                status="received", applicant_name=applicant["name"], applicant_search=search_key(applicant["name"]),
                applicant_id_number=applicant["id_number"], applicant_phone=applicant["phone"],
                applicant_email=applicant["email"], applicant_address=applicant["address"], data=cleaned,
                receiving_agency_id=actor.agency_id, received_by=actor.id, received_at=now,
                counting_from=counting_from, due_at=due, original_due_at=due, outcome="",
                lookup_secret=secrets.token_hex(3).upper(), supplement_count=0, paused_seconds=0, apology_count=0,
                state_version=1, finished_at=None, paused_at=None)
            dossier.id = raw.first(_DOSSIER_INSERT, {k: getattr(dossier, k) for k in _DOSSIER_COLUMNS})[0]
            raw.run(queries._participation_insert(raw.dialect.name), queries.participation(dossier, actor.agency_id))
            events = [event("dossier.received", now, dossier.id, actor_id=actor.id,
                            details={"procedure": found.procedure_code, "version": found.version,
                                     "due_at": due.isoformat(), "data": cleaned})]
            # A dossier inserted by this very transaction has no step rows yet.
            open_steps = self._sync_steps(raw, dossier, definition, ready, now, events, [])
            raw.run(_STATE_INSERT, {"dossier_id": dossier.id, "version": 1, "state": engine.codec.dumps(wf),
                                    "updated_at": now})
            raw.many(_EVENT_INSERT, events)
            raw.finish()  # PostgreSQL: COMMIT goes with the batch; the new steps' ids come back
            view = self._view(raw, dossier, with_steps=with_history, with_events=with_history is True,
                              open_steps=open_steps())
        engine.cache.put(dossier.id, 1, wf)
        return view

    def _complete_fast(self, actor: Actor, step_id: int, data: Any, note: str, now: datetime, *,
                       with_steps: bool | Literal["open"], with_events: bool) -> DossierView:
        engine = cast("Engine", self)
        with self._raw() as raw:
            # One round trip on PostgreSQL: the step with its dossier (locked) and saved state, the
            # step locked and read afresh, the dossier's open steps. The rest of the transaction,
            # COMMIT included, is sent as one batch at the end.
            found = raw.later(_STEP_AND_DOSSIER, {"step_id": step_id})
            fresh = None if raw.sqlite else raw.later(_STEP_LOCKED, {"step_id": step_id})
            open_rows = raw.later(_OPEN_STEP_ROWS_OF_STEP, {"step_id": step_id})
            row = found.first()
            if row is None:
                raise NotFound(f"Không có bước {step_id}")
            values = row._asdict()
            step = SimpleNamespace(**{k: values.pop(f"step_{k}") for k in _STEP_KEYS})
            if fresh is not None:  # PostgreSQL: as it is now that both locks are held
                step.state, step.assignee_id = fresh.first()
            # The saved state comes along: a round trip less when this process's cache misses, as
            # it mostly does behind several web workers.
            saved_version, saved_state = values.pop("saved_version"), values.pop("saved_state")
            if step.agency_id != actor.agency_id or not actor.has(*accounts.HANDLING_ROLES):
                raise PermissionDenied("Bước này thuộc cơ quan khác")
            _check_claimed(step, actor)
            dossier = SimpleNamespace(**values)
            if dossier.status not in ("received", "processing"):
                raise SlowPath
            definition = engine.definition(dossier.definition_id)
            spec = definition.steps[step.element_id]
            if has_files(spec.fields):
                raise SlowPath  # the ORM path checks the attached documents
            cleaned = validate_form(spec.fields, data or {}, today=engine.today(now))
            judged = timeliness(now, step.due_at, engine.calendar())
            completed = {"step_id": step_id, "at": now, "by": actor.id, "form_data": cleaned, "note": note,
                         "timeliness": judged}
            details = {"element": step.element_id, "data": cleaned, "note": note, "timeliness": judged}
            if raw.sqlite:  # the write lock is held: the count is known at once
                if raw.rowcount(_COMPLETE_CLAIMED, completed) != 1:
                    _check_claimed(raw.first(_STEP_ROW, {"step_id": step_id}), actor)
                    raise RetryableConflict("Bước vừa thay đổi, hãy thử lại")
                events = [event("step.completed", now, dossier.id, step_id=step_id, actor_id=actor.id,
                                details=details)]
            else:  # the step is locked and was read claimed by this official: the server checks it
                raw.run(_COMPLETE_CLAIMED_EXPECTED, {**completed, "e_details": details})
                events = []  # "step.completed" went with the update
            still_open = [r for r in open_rows.rows() if r.id != step_id]
            wf = engine.cache.take(dossier.id, dossier.state_version)
            if wf is None:
                if saved_version != dossier.state_version:
                    # PostgreSQL re-reads only the locked dossier row after waiting for the lock;
                    # the state joined to it may predate the writer we waited for: read it again.
                    state = raw.first(_STATE_ROW, {"dossier_id": dossier.id})
                    saved_version, saved_state = (state.version, state.state) if state else (None, None)
                if saved_state is None or saved_version != dossier.state_version:
                    raise RetryableConflict("Trạng thái hồ sơ đang được cập nhật, hãy thử lại")
                wf = engine.codec.loads(saved_state, definition.spec, definition.subprocess_specs)
                wf.script_engine = make_script_engine()
            task = wf.tasks.get(UUID(step.task_id))
            if task is None or not task.has_state(TaskState.READY):
                raise RetryableConflict("Bước không còn sẵn sàng trong quy trình, hãy tải lại")
            timers_before = waiting_timers(wf) if definition.has_timers else None

            def run_task() -> None:
                task.data.update(cleaned)
                task.run()

            engine._run(wf, definition, spec.name, run_task)
            ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
            finished = not ready and wf.is_completed()  # a ready task is unfinished: no tree walk
            if timers_before is not None and waiting_timers(wf) != timers_before:
                raise SlowPath  # a timer starts or stops: the ORM path registers it
            if not finished and definition.opens_supplement(ready.values()):
                raise SlowPath  # a supplement request: notices, pause, the once-only rule
            status_before = dossier.status
            if dossier.status == "received":
                dossier.status = "processing"
            if len(wf.tasks) > COMPACT_DEPTH or wf.subprocesses:
                compact(wf)  # only a tree deeper than COMPACT_DEPTH needs it
            open_steps = self._sync_steps(raw, dossier, definition, ready, now, events, still_open)
            if finished:
                outcome = definition.final_outcome(wf)
                dossier.outcome = dossier.status = outcome
                dossier.finished_at, dossier.paused_at = now, None
                events.append(event("dossier.finished", now, dossier.id, actor_id=actor.id,
                                    details={"outcome": outcome}))
            version = dossier.state_version + 1
            saving = {"b_dossier": dossier.id, "b_version": dossier.state_version, "b_new": version,
                      "b_state": engine.codec.dumps(wf), "b_at": now}
            # SQLite: read at once; PostgreSQL: the server aborts the batch if the row moved.
            if finished or dossier.status != status_before:
                saved = raw.later(_SAVE_STATE, saving) if raw.sqlite else raw.run(_SAVE_STATE_EXPECTED, saving)
                raw.run(_DOSSIER_AFTER_STEP, {"b_id": dossier.id, "b_version": version,
                                              "b_status": dossier.status, "b_outcome": dossier.outcome,
                                              "b_finished": dossier.finished_at, "b_paused": dossier.paused_at})
            elif raw.sqlite:
                saved = raw.later(_SAVE_STATE, saving)
                raw.run(_DOSSIER_VERSION, {"b_id": dossier.id, "b_version": version})
            else:  # the state and the dossier's version in one statement
                saved = raw.run(_SAVE_STATE_AND_VERSION, saving)
            raw.many(_EVENT_INSERT, events)
            dossier.state_version = version
            if raw.sqlite and len(saved.rows()) != 1:  # the state row moved under us: nothing is committed
                raise RetryableConflict("Hồ sơ vừa được người khác cập nhật, hãy thử lại")
            # PostgreSQL: COMMIT goes with the batch, and the server checks both expectations (a
            # failed one raises a retryable conflict here, and nothing is written).
            raw.finish()
            view = self._view(raw, dossier, with_steps=with_steps, with_events=with_events,
                              open_steps=open_steps())
        engine.cache.put(dossier.id, version, wf)
        return view

    def _sync_steps(self, raw: Raw, dossier: Any, definition: Any, ready: dict[str, Any], now: datetime,
                    events: list[dict[str, Any]], open_rows: list[Any]) -> Callable[[], list[StepView]]:
        """Cancel the open step rows (``open_rows``, read in this transaction) whose task is no
        longer ready, add rows for newly ready tasks with their "step.ready" events; return what
        gives the dossier's open steps after it, in the order a read gives them (ready time, then
        id). On PostgreSQL the new steps' ids come back with the batch: call it after
        :meth:`Raw.finish`. ``events`` written here leave the list (their order is kept)."""
        engine = cast("Engine", self)
        open_tasks = {r.task_id for r in open_rows}
        seen_agencies = {r.agency_id for r in open_rows} | ({dossier.receiving_agency_id} - {None})
        still_open: list[StepView] = []
        added: list[tuple[Any, str, int, datetime, Any]] = []
        cal = engine.calendar()
        for r in open_rows:
            if r.task_id not in ready:
                raw.run(_CANCEL_STEP, {"step_id": r.id})
                events.append(event("step.cancelled", now, dossier.id, step_id=r.id,
                                    details={"element": r.element_id}))
            else:
                still_open.append(queries._step_view(r))
        for task_id, task in ready.items():
            if task_id in open_tasks:
                continue
            spec = definition.steps.get(task.task_spec.bpmn_id)
            if spec is None:
                raise SlowPath  # the ORM path reports the broken definition
            agency_id, agency_code = engine.lane_agency(spec.lane)
            if agency_id not in seen_agencies:
                raw.run(queries._participation_insert(raw.dialect.name), queries.participation(dossier, agency_id))
                seen_agencies.add(agency_id)
            due_at = step_due(cal, now, spec.working_days)
            values = step_row(dossier.id, spec, task_id, agency_id, now, due_at)
            if raw.sqlite:
                inserted = raw.later(_STEP_INSERT, values)
                events.append(event("step.ready", now, dossier.id, step_id=inserted.first()[0],
                                    details=ready_details(spec, agency_code, due_at)))
            else:
                if events:  # the events so far first: their ids stay in the order they happened
                    raw.many(_EVENT_INSERT, events)
                    events.clear()
                values["e_details"] = ready_details(spec, agency_code, due_at)
                inserted = raw.later(_STEP_INSERT_AND_LOG, values)
            added.append((spec, task_id, agency_id, due_at, inserted))

        def open_steps() -> list[StepView]:
            return still_open + [self._new_step_view(inserted.first()[0], dossier, spec, task_id, agency_id, now,
                                                     due_at) for spec, task_id, agency_id, due_at, inserted in added]

        return open_steps

    def _new_step_view(self, step_id: int, dossier: Any, spec: Any, task_id: str, agency_id: int, now: datetime,
                       due_at: datetime) -> StepView:
        """The view a read of the step row just inserted would give (tests compare the two)."""
        engine = cast("Engine", self)
        agency = queries.agency_label(engine.Session, agency_id)
        return StepView(
            id=step_id, dossier_id=dossier.id, dossier_code=dossier.code, procedure_code=dossier.procedure_code,
            element_id=spec.element_id, name=spec.name, agency_id=agency_id, agency_code=agency.code,
            agency_name=agency.name, state="ready", step_kind=spec.step_kind, role=spec.role,
            working_days=Decimal(spec.working_days).quantize(_MILLI), ready_at=now.astimezone(UTC),
            due_at=due_at.astimezone(UTC), assignee_id=None, assignee_name=None, claimed_at=None, completed_at=None,
            completed_by=None, completed_by_name=None, timeliness=None, note="", form_data=None,
            applicant_name=dossier.applicant_name,
        )

    def _view(self, raw: Raw, dossier: Any, *, with_steps: bool | Literal["open"], with_events: bool,
              open_steps: list[StepView] | None = None) -> DossierView:
        """The dossier's view: all its steps read back (and its history), or only ``open_steps``
        (the rows in hand after a sync) when ``with_steps="open"``, or neither."""
        engine = cast("Engine", self)
        definition, agency = queries.labels(engine.Session, dossier.definition_id, dossier.receiving_agency_id)
        if not with_steps:
            return queries.build_dossier_view(dossier, definition, agency, [], [])
        if with_steps == "open" and open_steps is not None:
            return queries.build_dossier_view(dossier, definition, agency, open_steps, [])
        steps = [queries._step_view(r) for r in raw.all(queries._by_dossier(), {"dossier_id": dossier.id})]
        if with_steps == "open":
            return queries.build_dossier_view(dossier, definition, agency, [s for s in steps if s.is_open()], [])
        events = ([queries.event_view(r) for r in raw.all(queries._events_by_dossier(), {"dossier_id": dossier.id})]
                  if with_events else [])
        return queries.build_dossier_view(dossier, definition, agency, steps, events)


_SEQUENCE_UPSERTS: dict[str, Any] = {}


def _sequence_upsert(dialect: str) -> Any:
    """Next number of an agency's day (Circular 01/2018 art. 19): one upsert, unique under concurrency."""
    stmt = _SEQUENCE_UPSERTS.get(dialect)
    if stmt is None:
        ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_SEQUENCES)
        stmt = _SEQUENCE_UPSERTS[dialect] = ins.values(
            agency_code=bindparam("agency_code"), day=bindparam("day"), last=1,
        ).on_conflict_do_update(index_elements=["agency_code", "day"],
                                set_={"last": _SEQUENCES.c.last + 1}).returning(_SEQUENCES.c.last)
    return stmt


def _check_claimed(step: Any, actor: Actor) -> None:
    """The same refusals, in the same order, as the ORM path's checks."""
    from engine.runtime import _state_conflict

    if step.state in ("completed", "cancelled"):
        raise _state_conflict(step)
    if step.state != "claimed" or step.assignee_id != actor.id:
        raise Conflict("Bạn chưa nhận xử lý bước này")

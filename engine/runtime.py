"""The engine's actions: deploy, receive (start), claim, unclaim, reassign, complete, fire timers.

Each action is one database transaction. Writers of one dossier are serialised by a lock on its
row (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two officials
completing the two branches of a parallel split at once both succeed, one after the other; the
workflow state also carries a version checked on save, and anything unexpected surfaces as
RetryableConflict with nothing written.
"""

from __future__ import annotations

import secrets
import threading
import time as _time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from engine import accounts, models, queries
from engine.accounts import Actor
from engine.attached import check_attachments
from engine.calendar import WorkingCalendar
from engine.db import WRITE_OPTION, make_engine, make_session_factory
from engine.definitions import Definition, load_definition
from engine.errors import (
    Conflict,
    DefinitionError,
    ExpressionError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RetryableConflict,
    StateError,
)
from engine.expressions import make_script_engine
from engine.fastpath import _CANCEL_STEP, _CLAIM_STEP, FastPathMixin, SlowPath, ready_details, step_row
from engine.forms import check_applicant, validate_form
from engine.lifecycle import LifecycleMixin
from engine.problems import error
from engine.settings import Settings
from engine.store import WorkflowCache, WorkflowCodec, compact
from engine.timeliness import step_due, timeliness
from engine.views import DeployResult, DossierView, ProcedureSummary, StepForm, StepView

Clock = Callable[[], datetime]
FAR_FUTURE = "9999-12-31T00:00:00+00:00"
MAX_NOTE = 4000
ROLE_REFUSED = "Bước này dành cho cán bộ có vai trò khác trong cơ quan"


# The hot path (claim, complete, the step sync after every engine run) uses statements built once
# and executed on the session's connection: no per-call statement building or cache-key work, no
# unit-of-work flush. Events and steps are plain rows here; the ORM serves the rarer actions.
_STEPS: Any = models.Step.__table__
_EVENT_INSERT = insert(cast(Any, models.Event.__table__))
_STEP_INSERT = insert(_STEPS).returning(_STEPS.c.id)
_OPEN_STEPS = select(_STEPS.c.id, _STEPS.c.task_id, _STEPS.c.agency_id, _STEPS.c.step_kind,
                     _STEPS.c.element_id).where(_STEPS.c.dossier_id == bindparam("dossier_id"),
                                                _STEPS.c.state.in_(("ready", "claimed")))
_LOCK_DOSSIER = select(models.Dossier).where(models.Dossier.id == bindparam("dossier_id")).with_for_update(
    key_share=True)
_STATES: Any = models.WorkflowState.__table__
_SAVE_STATE = update(_STATES).where(_STATES.c.dossier_id == bindparam("b_dossier"),
                                    _STATES.c.version == bindparam("b_version"))
_COMPLETE_STEP = update(_STEPS).where(_STEPS.c.id == bindparam("step_id")).values(
    state="completed", completed_at=bindparam("at"), completed_by=bindparam("by"),
    form_data=bindparam("form_data", type_=models.Step.__table__.c.form_data.type),
    note=bindparam("note"), timeliness=bindparam("timeliness"))


def add_event(session: Session, action: str, at: datetime, *, dossier_id: int | None = None,
              step_id: int | None = None, actor_id: int | None = None,
              details: dict[str, Any] | None = None) -> None:
    """Append one entry to the event log (a plain insert on the transaction's connection)."""
    session.connection().execute(_EVENT_INSERT, {"dossier_id": dossier_id, "step_id": step_id,
                                                 "actor_id": actor_id, "action": action, "at": at,
                                                 "details": details or {}})


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Pending:
    """Workflows to put back in the cache once the transaction has committed."""

    items: list[tuple[int, int, BpmnWorkflow]] = field(default_factory=list)


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'N***** V** A*': enough for the applicant to recognise, nothing more."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


class Engine(LifecycleMixin, FastPathMixin):
    """LienThong's workflow engine on one database; thread-safe, one instance per process."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None, clock: Clock | None = None,
                 cache_size: int = 2000, fast_path: bool = True, **engine_kwargs: Any) -> None:
        """``settings`` default to ``Settings.from_env()``; ``url`` replaces their database URL."""
        settings = settings or Settings.from_env()
        if url is not None:
            settings = settings.with_changes(database_url=url)
        self.settings = settings
        accounts.configure_password_hashing(settings.password_hashing)
        self.db = make_engine(settings.database_url, **engine_kwargs)
        self.Session = make_session_factory(self.db)
        self.clock: Clock = clock or system_clock
        self.calendar_config = settings.calendar_config()
        self.supplement_rule = settings.supplement_rule
        self.codec = WorkflowCodec()
        self.cache = WorkflowCache(cache_size)
        self._definitions: dict[int, Definition] = {}
        self._definitions_lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._calendar_loaded = 0.0
        self._lanes: dict[str, tuple[int, str, float]] = {}
        #: Claim and complete try the raw-SQL path first (engine.fastpath); False forces the ORM path.
        self.fast_path = fast_path
        self._prepared: dict[int, Any] = {}

    def close(self) -> None:
        self.db.dispose()

    # ------------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now.astimezone(UTC)

    def today(self, now: datetime | None = None) -> date:
        """The local date of ``now`` (default: the engine's clock), for forms' ``today`` bounds."""
        return self.calendar().localize(now or self.now()).date()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work; database conflicts surface as RetryableConflict."""
        pending = _Pending()
        self.calendar()  # refresh outside the write lock: it reads with its own connection
        try:
            with self.Session() as session, session.begin():
                session.connection(execution_options={WRITE_OPTION: True})
                session.info["pending"] = pending
                yield session
        except OperationalError as exc:
            raise RetryableConflict(f"Cơ sở dữ liệu bận, hãy thử lại (database busy): {exc.orig}") from exc
        except DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
            if code in ("40001", "40P01", "55P03"):
                raise RetryableConflict("Xung đột đồng thời, hãy thử lại") from exc
            raise
        for dossier_id, version, wf in pending.items:
            self.cache.put(dossier_id, version, wf)

    def calendar(self) -> WorkingCalendar:
        """The working calendar with the admin's overrides (re-read at most every 30 s)."""
        if self._calendar is None or _time.monotonic() - self._calendar_loaded > 30:
            with self.Session() as session:
                rows = session.scalars(select(models.CalendarOverride)).all()
                overrides = {r.day: r.working for r in rows}
                notes = {r.day: r.note for r in rows if r.note}
            self._calendar = WorkingCalendar(self.calendar_config, overrides, notes)
            self._calendar_loaded = _time.monotonic()
        return self._calendar

    def invalidate_calendar(self) -> None:
        self._calendar = None

    def lane_agency(self, lane: str) -> tuple[int, str]:
        """(agency id, code) bound to a lane name, opening a session only when not cached."""
        hit = self._lanes.get(accounts.lookup_key(lane))
        if hit is not None and _time.monotonic() - hit[2] < 30:
            return hit[0], hit[1]
        with self.Session() as session:
            return self._lane_agency(session, lane)

    def _lane_agency(self, session: Session, lane: str) -> tuple[int, str]:
        """(agency id, code) bound to a lane name; cached for 30 s (agencies are rarely renamed)."""
        key = accounts.lookup_key(lane)
        hit = self._lanes.get(key)
        if hit is not None and _time.monotonic() - hit[2] < 30:
            return hit[0], hit[1]
        agency = accounts.agency_for_lane(session, lane)
        if agency is None:
            raise StateError(f"Làn '{lane}' không còn gắn với cơ quan nào")
        self._lanes[key] = (agency.id, agency.code, _time.monotonic())
        return agency.id, agency.code

    # ------------------------------------------------------------------ definitions

    def definition(self, definition_id: int, session: Session | None = None) -> Definition:
        """The loaded definition version (parsed once per process)."""
        found = self._definitions.get(definition_id)
        if found is not None:
            return found
        if session is None:
            with self.Session() as own:
                return self.definition(definition_id, own)
        row = session.get(models.DefinitionVersion, definition_id)
        if row is None:
            raise NotFound(f"Không có phiên bản quy trình {definition_id}")
        data, filename = row.bpmn, row.filename
        loaded = load_definition(data, filename)
        with self._definitions_lock:
            self._definitions.setdefault(definition_id, loaded)
        return self._definitions[definition_id]

    def deploy(self, data: bytes, *, filename: str = "", actor: Actor | None = None,
               decision_number: str = "", decision_date: date | None = None,
               metadata: Mapping[str, Any] | None = None) -> DeployResult:
        """Validate and publish a diagram; an unchanged file returns its existing version."""
        if actor is not None and not actor.has("designer", "admin"):
            raise PermissionDenied("Chỉ cán bộ thiết kế quy trình hoặc quản trị được công bố quy trình")
        from engine.validation import AgencyRef, validate_bpmn

        with self.Session() as session:
            agencies = [AgencyRef(a.code, a.name) for a in session.scalars(select(models.Agency))]
        problems = [p for p in validate_bpmn(data, agencies, file=filename) if p.is_error]
        if problems:
            raise DefinitionError(problems)
        definition = load_definition(data, filename)
        now = self.now()
        with self.transaction() as session:
            for lane in definition.lanes:
                if accounts.agency_for_lane(session, lane) is None:
                    raise DefinitionError([error(f"Làn '{lane}' không gắn với cơ quan nào")])
            existing = session.scalar(select(models.DefinitionVersion).where(
                models.DefinitionVersion.procedure_code == definition.procedure_code,
                models.DefinitionVersion.sha256 == definition.sha256))
            if existing is not None:
                return DeployResult(existing.procedure_code, existing.version, existing.id, False)
            last = session.scalar(select(func.max(models.DefinitionVersion.version)).where(
                models.DefinitionVersion.procedure_code == definition.procedure_code)) or 0
            row = models.DefinitionVersion(
                procedure_code=definition.procedure_code, version=last + 1, name=definition.name,
                process_id=definition.process_id, filename=filename, bpmn=definition.bpmn,
                sha256=definition.sha256, legal_working_days=definition.legal_working_days,
                reduced_working_days=definition.reduced_working_days, metadata_json=_json_safe(dict(metadata or {})),
                decision_number=decision_number, decision_date=decision_date,
                deployed_by=actor.id if actor else None, deployed_at=now)
            session.add(row)
            session.flush()
            add_event(session, "definition.deployed", now, actor_id=actor.id if actor else None,
                      details={"procedure": row.procedure_code, "version": row.version,
                               "sha256": row.sha256, "decision_number": decision_number})
            result = DeployResult(row.procedure_code, row.version, row.id, True)
        with self._definitions_lock:
            self._definitions[result.definition_id] = definition
        return result

    def procedures(self) -> list[ProcedureSummary]:
        """The latest version of every procedure."""
        latest = (select(models.DefinitionVersion.procedure_code,
                         func.max(models.DefinitionVersion.version).label("v"))
                  .group_by(models.DefinitionVersion.procedure_code).subquery())
        stmt = (select(models.DefinitionVersion)
                .join(latest, (latest.c.procedure_code == models.DefinitionVersion.procedure_code)
                      & (latest.c.v == models.DefinitionVersion.version))
                .order_by(models.DefinitionVersion.procedure_code))
        with self.Session() as session:
            return [self._summary(r) for r in session.scalars(stmt)]

    def procedure(self, code: str, version: int | None = None) -> ProcedureSummary:
        with self.Session() as session:
            return self._summary(self._definition_row(session, code, version))

    @staticmethod
    def _summary(r: models.DefinitionVersion) -> ProcedureSummary:
        return ProcedureSummary(
            r.procedure_code, r.name, r.version, r.id, Decimal(r.legal_working_days),
            Decimal(r.reduced_working_days) if r.reduced_working_days is not None else None,
            r.deployed_at, r.decision_number, dict(r.metadata_json or {}))

    @staticmethod
    def _definition_row(session: Session, code: str, version: int | None = None) -> models.DefinitionVersion:
        stmt = select(models.DefinitionVersion).where(models.DefinitionVersion.procedure_code == code)
        if version is not None:
            stmt = stmt.where(models.DefinitionVersion.version == version)
        row = session.scalar(stmt.order_by(models.DefinitionVersion.version.desc()).limit(1))
        if row is None:
            raise NotFound(f"Không có thủ tục {code!r}")
        return row

    # ------------------------------------------------------------------ dossiers

    def _next_code(self, session: Session, agency_code: str, when: datetime) -> str:
        """`<agency code>-<YYMMDD>-<NNNN>` (Circular 01/2018 art. 19), unique under concurrency."""
        day = self.calendar().localize(when).strftime("%y%m%d")
        dialect = session.get_bind().dialect.name
        ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(models.DossierSequence)
        stmt = ins.values(agency_code=agency_code, day=day, last=1).on_conflict_do_update(
            index_elements=["agency_code", "day"], set_={"last": models.DossierSequence.last + 1}
        ).returning(models.DossierSequence.last)
        seq = session.execute(stmt).scalar_one()
        return f"{agency_code}-{day}-{seq:04d}"

    def start_dossier(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any],
                      data: Mapping[str, Any] | None = None, *,
                      with_history: bool | Literal["open"] = True) -> DossierView:
        """Receive a complete dossier at the desk: code, appointment date, first steps.

        ``with_history=False`` leaves the steps and events out of the answer (the API's create
        answers with the code and dates only); ``"open"`` gives only the steps now open, built
        from the rows just written (no read-back)."""
        if not actor.has("clerk"):
            raise PermissionDenied("Chỉ cán bộ một cửa được tiếp nhận hồ sơ")
        clean_applicant, applicant_errors = _clean_applicant(applicant)
        now = self.now()
        if self.fast_path:
            try:
                return self._start_fast(actor, procedure_code, clean_applicant, data, now, with_history=with_history,
                                        applicant_errors=applicant_errors)
            except SlowPath:
                pass  # timers to register, or a supplement request first: the ORM path below
        with self.transaction() as session:
            row = self._definition_row(session, procedure_code)
            definition = self.definition(row.id, session)
            cleaned = validate_form(definition.start_fields, data or {}, today=self.today(now),
                                    pending=applicant_errors)
            cal = self.calendar()
            counting_from = cal.counting_start(now)
            due = cal.add(counting_from, days=definition.limit_working_days)
            desk = session.get(models.Agency, actor.agency_id)
            code = self._next_code(session, (desk.unit_code if desk else "") or actor.agency_code, now)
            dossier = models.Dossier(
                code=code, definition_id=row.id, procedure_code=row.procedure_code, status="received",
                applicant_name=clean_applicant["name"], applicant_search=search_key(clean_applicant["name"]),
                applicant_id_number=clean_applicant["id_number"], applicant_phone=clean_applicant["phone"],
                applicant_email=clean_applicant["email"], applicant_address=clean_applicant["address"],
                data=cleaned, receiving_agency_id=actor.agency_id, received_by=actor.id, received_at=now,
                counting_from=counting_from, due_at=due, original_due_at=due, outcome="",
                lookup_secret=secrets.token_hex(3).upper(), state_version=0)
            session.add(dossier)
            session.flush()
            queries.record_participation(session, dossier, actor.agency_id)
            add_event(session, "dossier.received", now, dossier_id=dossier.id, actor_id=actor.id,
                      details={"procedure": row.procedure_code, "version": row.version,
                               "due_at": due.isoformat(), "data": cleaned})
            wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())
            for task in wf.get_tasks(state=TaskState.READY):
                task.data.update(cleaned)
            self._run(wf, definition, None)
            self._after_engine(session, dossier, definition, wf, now, actor.id, new=True)
            return queries.dossier_view(session, dossier, with_history=with_history)

    def _load_workflow(self, session: Session, dossier: models.Dossier, definition: Definition) -> BpmnWorkflow:
        wf = self.cache.take(dossier.id, dossier.state_version)
        if wf is None:
            state = session.get(models.WorkflowState, dossier.id)
            if state is None or state.version != dossier.state_version:
                raise RetryableConflict("Trạng thái hồ sơ đang được cập nhật, hãy thử lại")
            wf = self.codec.loads(state.state, definition.spec, definition.subprocess_specs)
            wf.script_engine = make_script_engine()
        return wf

    @staticmethod
    def _run(wf: BpmnWorkflow, definition: Definition, step_name: str | None,
             action: Callable[[], None] | None = None) -> None:
        """Run a library action and the engine steps after it; diagram faults become clear errors."""
        try:
            if action is not None:
                action()
            wf.do_engine_steps()
        except ExpressionError as exc:
            raise ExpressionError(f"Lỗi biểu thức trong sơ đồ '{definition.name}': {exc}") from None
        except SpiffWorkflowException as exc:
            where = f" sau bước '{step_name}'" if step_name else ""
            inner = getattr(exc, "exception", None) or exc
            raise ExpressionError(f"Quy trình '{definition.name}' lỗi{where}: {inner}") from None

    def _lock_dossier(self, session: Session, dossier_id: int) -> models.Dossier:
        # FOR NO KEY UPDATE: writers of one dossier still queue, but inserts elsewhere that merely
        # reference the dossier (an event, a notification: their foreign-key check takes KEY
        # SHARE) do not wait for it. With plain FOR UPDATE the worker, holding a step row and
        # inserting its event, and complete(), holding the dossier and locking that step,
        # deadlocked (found by tests/fault).
        dossier = session.scalar(_LOCK_DOSSIER, {"dossier_id": dossier_id})
        if dossier is None:
            raise NotFound("Không có hồ sơ")
        return dossier

    def _after_engine(self, session: Session, dossier: models.Dossier, definition: Definition,
                      wf: BpmnWorkflow, now: datetime, actor_id: int | None, *, new: bool = False) -> None:
        """Sync timers and step rows with the workflow, update the status, save the state."""
        cal = self.calendar()
        self._sync_timers(session, dossier, definition, wf, now)
        compact(wf)
        ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
        conn = session.connection()
        open_rows = conn.execute(_OPEN_STEPS, {"dossier_id": dossier.id}).all()
        open_tasks = {r.task_id for r in open_rows}
        open_kinds = [r.step_kind for r in open_rows if r.task_id in ready]
        seen_agencies = {r.agency_id for r in open_rows} | ({dossier.receiving_agency_id} - {None})
        for row in open_rows:
            if row.task_id not in ready:
                conn.execute(_CANCEL_STEP, {"step_id": row.id})
                add_event(session, "step.cancelled", now, dossier_id=dossier.id, step_id=row.id,
                          details={"element": row.element_id})
        for task_id, task in ready.items():
            if task_id in open_tasks:
                continue
            spec = definition.steps.get(task.task_spec.bpmn_id)
            if spec is None:
                raise ExpressionError(f"Bước {task.task_spec.bpmn_id} không có trong định nghĩa")
            agency_id, agency_code = self._lane_agency(session, spec.lane)
            if agency_id not in seen_agencies:
                queries.record_participation(session, dossier, agency_id)
                seen_agencies.add(agency_id)
            due_at = step_due(cal, now, spec.working_days)
            step_id = conn.execute(_STEP_INSERT, step_row(dossier.id, spec, task_id, agency_id, now,
                                                          due_at)).scalar_one()
            add_event(session, "step.ready", now, dossier_id=dossier.id, step_id=step_id,
                      details=ready_details(spec, agency_code, due_at))
            open_kinds.append(spec.step_kind)
        self._update_status(session, dossier, definition, wf, now, actor_id, open_kinds)
        self._save(session, dossier, wf, new=new)

    def _update_status(self, session: Session, dossier: models.Dossier, definition: Definition,
                       wf: BpmnWorkflow, now: datetime, actor_id: int | None, open_kinds: list[str]) -> None:
        if wf.is_completed():
            outcome = definition.final_outcome(wf)
            dossier.outcome = outcome
            dossier.status = outcome
            dossier.finished_at = now
            dossier.paused_at = None
            add_event(session, "dossier.finished", now, dossier_id=dossier.id, actor_id=actor_id,
                      details={"outcome": outcome})
            return
        if "supplement" in open_kinds:
            if dossier.status != "waiting_supplement":
                dossier.status = "waiting_supplement"
                dossier.paused_at = now
                add_event(session, "dossier.waiting_supplement", now, dossier_id=dossier.id, actor_id=actor_id)
                self._on_supplement_requested(session, dossier, now, actor_id)
        elif dossier.status == "waiting_supplement":
            self._resume_after_supplement(session, dossier, definition, now, actor_id)
        elif dossier.status == "received" and dossier.state_version > 0:
            dossier.status = "processing"

    def _resume_after_supplement(self, session: Session, dossier: models.Dossier, definition: Definition,
                                 now: datetime, actor_id: int | None) -> None:
        """Art. 19.4: the time limit restarts from the complete dossier (or pauses, if so configured)."""
        cal = self.calendar()
        paused_at = dossier.paused_at or now
        if self.supplement_rule == "restart":
            dossier.counting_from = cal.counting_start(now)
            dossier.due_at = cal.add(dossier.counting_from, days=definition.limit_working_days)
        elif dossier.due_at is not None:
            dossier.due_at = cal.add_working_seconds(dossier.due_at, cal.working_seconds(paused_at, now))
        dossier.paused_seconds += int((now - paused_at).total_seconds())
        dossier.paused_at = None
        dossier.supplement_count += 1
        dossier.original_due_at = dossier.due_at
        dossier.status = "processing"
        add_event(session, "dossier.supplemented", now, dossier_id=dossier.id, actor_id=actor_id,
                  details={"rule": self.supplement_rule,
                           "due_at": dossier.due_at.isoformat() if dossier.due_at else None})

    def _sync_timers(self, session: Session, dossier: models.Dossier, definition: Definition,
                     wf: BpmnWorkflow, now: datetime) -> None:
        """Register waiting timer events with due times in working time; the worker fires them."""
        if not definition.has_timers:
            return
        waiting: dict[str, Any] = {}
        for task in wf.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, DurationTimerEventDefinition | TimeDateEventDefinition):
                waiting[str(task.id)] = task
                # Keep the library's own wall clock from ever firing it: we fire in working time.
                task._set_internal_data(event_value=FAR_FUTURE)
        pending = session.scalars(select(models.Timer).where(
            models.Timer.dossier_id == dossier.id, models.Timer.fired_at.is_(None),
            models.Timer.cancelled_at.is_(None))).all()
        known = {t.task_id for t in pending}
        for timer in pending:
            if timer.task_id not in waiting:
                timer.cancelled_at = now
        if dossier.id is None:
            session.flush()
        for task_id, task in waiting.items():
            if task_id in known:
                continue
            node = definition.document.node(task.task_spec.bpmn_id)
            expr = (node.timer if node and node.timer else "").strip().strip("'\"")
            due = self._timer_due(expr, now)
            session.add(models.Timer(dossier_id=dossier.id, element_id=task.task_spec.bpmn_id, task_id=task_id,
                                     expression=expr[:255], due_at=due, started_at=now))

    def _timer_due(self, expr: str, now: datetime) -> datetime:
        cal = self.calendar()
        if expr.upper().startswith("P"):
            return cal.add_duration(now, expr)
        from engine.calendar import parse_datetime

        try:
            return parse_datetime(expr, cal.config.timezone)
        except (InvalidInput, ValueError):
            raise ExpressionError(f"Biểu thức hẹn giờ không hợp lệ: {expr!r}") from None

    def _save(self, session: Session, dossier: models.Dossier, wf: BpmnWorkflow, *, new: bool) -> None:
        text = self.codec.dumps(wf)
        now = self.now()
        old = dossier.state_version
        if new:
            session.add(models.WorkflowState(dossier_id=dossier.id, version=1, state=text, updated_at=now))
        else:
            result = session.connection().execute(_SAVE_STATE, {
                "b_dossier": dossier.id, "b_version": old, "version": old + 1, "state": text, "updated_at": now})
            if result.rowcount != 1:
                raise RetryableConflict("Hồ sơ vừa được người khác cập nhật, hãy thử lại")
        dossier.state_version = old + 1
        session.info["pending"].items.append((dossier.id, dossier.state_version, wf))

    # ------------------------------------------------------------------ steps

    def _step_for_action(self, session: Session, actor: Actor, step_id: int) -> models.Step:
        step = session.get(models.Step, step_id)
        if step is None:
            raise NotFound(f"Không có bước {step_id}")
        if step.agency_id != actor.agency_id or not actor.has(*accounts.HANDLING_ROLES):
            raise PermissionDenied("Bước này thuộc cơ quan khác")
        return step

    def claim(self, actor: Actor, step_id: int) -> StepView:
        """Take a ready step exclusively; a second claimant gets Conflict."""
        now = self.now()
        if self.fast_path:
            view = self._claim_fast(actor, step_id, now)
            if view is not None:
                return view
        with self.transaction() as session:
            # One conditional update decides the race; only a refusal reads the row to say why.
            claimed = None
            if actor.has(*accounts.HANDLING_ROLES):
                claimed = session.connection().execute(_CLAIM_STEP, {
                    "step_id": step_id, "b_agency": actor.agency_id, "actor": actor.id, "at": now,
                    **accounts.role_params(actor)}).first()
            if claimed is None:
                step = self._step_for_action(session, actor, step_id)  # NotFound / PermissionDenied
                if not accounts.may_handle(actor, step.role):
                    raise PermissionDenied(ROLE_REFUSED)
                if step.state == "claimed" and step.assignee_id == actor.id:
                    return self._step_view(session, step_id)
                raise _state_conflict(step)
            add_event(session, "step.claimed", now, dossier_id=claimed.dossier_id, step_id=step_id, actor_id=actor.id)
            return self._step_view(session, step_id)

    def unclaim(self, actor: Actor, step_id: int) -> StepView:
        """Give a claimed step back to the agency's queue (its holder, or a leader of the agency)."""
        now = self.now()
        with self.transaction() as session:
            step = self._step_for_action(session, actor, step_id)
            session.refresh(step, with_for_update=True)
            if step.state != "claimed":
                raise _state_conflict(step)
            if step.assignee_id != actor.id and not actor.has("leader"):
                raise Conflict("Bước đang do cán bộ khác xử lý")
            previous = step.assignee_id
            step.state, step.assignee_id, step.claimed_at = "ready", None, None
            add_event(session, "step.unclaimed", now, dossier_id=step.dossier_id, step_id=step_id, actor_id=actor.id,
                      details={"previous": previous})
            session.flush()
            return self._step_view(session, step_id)

    def reassign(self, actor: Actor, step_id: int, to_username: str) -> StepView:
        """A leader hands an open step to another official of the same agency."""
        now = self.now()
        with self.transaction() as session:
            step = self._step_for_action(session, actor, step_id)
            if not actor.has("leader"):
                raise PermissionDenied("Chỉ lãnh đạo cơ quan được giao lại bước")
            session.refresh(step, with_for_update=True)
            if step.state not in queries.OPEN_STATES:
                raise _state_conflict(step)
            target = session.scalar(select(models.Official).where(models.Official.username == to_username))
            if target is None or not target.active:
                raise NotFound(f"Không có cán bộ {to_username!r}")
            if target.agency_id != step.agency_id:
                raise PermissionDenied("Chỉ giao cho cán bộ cùng cơ quan")
            if step.role and step.role not in set(target.roles.split(",")):
                raise PermissionDenied(ROLE_REFUSED)
            previous = step.assignee_id
            step.state, step.assignee_id, step.claimed_at = "claimed", target.id, now
            add_event(session, "step.reassigned", now, dossier_id=step.dossier_id, step_id=step_id, actor_id=actor.id,
                      details={"previous": previous, "to": target.username})
            session.flush()
            return self._step_view(session, step_id)

    def complete(self, actor: Actor, step_id: int, data: Mapping[str, Any] | None = None,
                 note: str = "", *, with_events: bool = False,
                 with_steps: bool | Literal["open"] = True) -> DossierView:
        """Finish a step the official has claimed, with validated form data and a handover note.

        Returns the dossier with its steps; its event history only when ``with_events`` (it grows
        with every round of a long-running dossier, and most callers redirect anyway).
        ``with_steps="open"`` answers with only the steps open after the completion (what to do
        next), built from the rows the completion holds instead of reading every step back;
        ``with_steps=False`` with no steps at all.
        """
        now = self.now()
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"Ý kiến xử lý dài tối đa {MAX_NOTE} ký tự")
        if self.fast_path:
            try:
                return self._complete_fast(actor, step_id, data, note, now, with_steps=with_steps,
                                           with_events=with_events)
            except SlowPath:
                pass  # a rarer transition: the ORM path below handles every case
        with self.transaction() as session:
            step = self._step_for_action(session, actor, step_id)
            dossier = self._lock_dossier(session, step.dossier_id)
            if session.get_bind().dialect.name != "sqlite":  # SQLite: the whole write is serialised
                session.refresh(step, with_for_update=True)
            if step.state in ("completed", "cancelled"):
                raise _state_conflict(step)
            if step.state != "claimed" or step.assignee_id != actor.id:
                raise Conflict("Bạn chưa nhận xử lý bước này")
            definition = self.definition(dossier.definition_id, session)
            spec = definition.steps[step.element_id]
            cleaned = validate_form(spec.fields, data or {}, today=self.today(now))
            check_attachments(session, dossier.id, spec.fields, cleaned)
            wf = self._load_workflow(session, dossier, definition)
            task = wf.get_task_from_id(UUID(step.task_id)) if UUID(step.task_id) in wf.tasks else None
            if task is None or not task.has_state(TaskState.READY):
                raise RetryableConflict("Bước không còn sẵn sàng trong quy trình, hãy tải lại")

            def run_task() -> None:
                task.data.update(cleaned)
                task.run()

            self._run(wf, definition, spec.name, run_task)
            judged = timeliness(now, step.due_at, self.calendar())
            session.connection().execute(_COMPLETE_STEP, {"step_id": step.id, "at": now, "by": actor.id,
                                                          "form_data": cleaned, "note": note, "timeliness": judged})
            session.expire(step)
            add_event(session, "step.completed", now, dossier_id=dossier.id, step_id=step.id, actor_id=actor.id,
                      details={"element": step.element_id, "data": cleaned, "note": note, "timeliness": judged})
            if dossier.status == "received":
                dossier.status = "processing"
            self._after_engine(session, dossier, definition, wf, now, actor.id)
            return queries.dossier_view(session, dossier, with_history=with_steps, with_events=with_events)

    def fire_timer(self, timer_id: int) -> bool:
        """Fire one due timer event (the worker calls this); False when it no longer applies."""
        now = self.now()
        with self.transaction() as session:
            timer = session.get(models.Timer, timer_id)
            if timer is None:
                return False
            dossier = self._lock_dossier(session, timer.dossier_id)
            session.refresh(timer, with_for_update=True)
            if timer.fired_at is not None or timer.cancelled_at is not None:
                return False
            definition = self.definition(dossier.definition_id, session)
            wf = self._load_workflow(session, dossier, definition)
            tid = UUID(timer.task_id)
            task = wf.tasks.get(tid)
            if task is None or not task.has_state(TaskState.WAITING):
                timer.cancelled_at = now
                return False

            def fire() -> None:
                task._set_internal_data(event_fired=True)
                wf.refresh_timers()

            self._run(wf, definition, None, fire)
            timer.fired_at = now
            add_event(session, "timer.fired", now, dossier_id=dossier.id,
                      details={"element": timer.element_id, "due_at": timer.due_at.isoformat()})
            self._after_engine(session, dossier, definition, wf, now, None)
            return True

    def due_timers(self, limit: int = 100) -> list[int]:
        """Ids of timers whose working-time due has passed."""
        with self.Session() as session:
            return list(session.scalars(select(models.Timer.id).where(
                models.Timer.fired_at.is_(None), models.Timer.cancelled_at.is_(None),
                models.Timer.due_at <= self.now()).order_by(models.Timer.due_at).limit(limit)))

    # ------------------------------------------------------------------ reads

    def _step_view(self, session: Session, step_id: int) -> StepView:
        view = queries.step(session, step_id)
        assert view is not None
        return view

    def inbox(self, actor: Actor, *, procedure: str | None = None, mine: bool = False,
              limit: int = 200, offset: int = 0) -> list[StepView]:
        """Open steps of the official's agency, overdue first (one SQL query, no workflow loaded)."""
        with self.Session() as session:
            return queries.inbox(session, actor.agency_id, accounts.role_params(actor), procedure=procedure,
                                 mine_only_of=actor.id if mine else None, limit=limit, offset=offset)

    def step_form(self, actor: Actor, step_id: int) -> StepForm:
        """A step with its form fields, for an official of the step's agency."""
        with self.Session() as session:
            view = queries.step(session, step_id)
            if view is None:
                raise NotFound(f"Không có bước {step_id}")
            if view.agency_id != actor.agency_id and not queries.can_view(session, actor, view.dossier_id):
                raise PermissionDenied("Bước này thuộc cơ quan khác")
            dossier = session.get(models.Dossier, view.dossier_id)
            assert dossier is not None
            spec = self.definition(dossier.definition_id, session).steps.get(view.element_id)
        return StepForm(view, spec.fields if spec else (), spec.documentation if spec else "",
                        spec.result if spec else "")

    def dossier(self, code: str, actor: Actor | None = None, *, with_events: bool = True) -> DossierView:
        """A dossier with steps and history; officials see only dossiers their agency takes part in."""
        if self.fast_path:
            return self._dossier_fast(code, actor, with_events=with_events)
        with self.Session() as session:
            row = queries.visible_dossier(session, code, actor)
            return queries.dossier_view(session, row)

    def public_lookup(self, code: str) -> dict[str, Any]:
        """What anyone with the dossier code may see: status, agencies now, appointment, masked name."""
        with self.Session() as session:
            row = session.scalar(select(models.Dossier).where(models.Dossier.code == code.strip()))
            if row is None:
                raise NotFound("Không tìm thấy hồ sơ")
            definition = session.get(models.DefinitionVersion, row.definition_id)
            agencies = queries.current_agency_names(session, [row.id]).get(row.id, [])
            has_result = session.scalar(select(models.Document.id).where(
                models.Document.dossier_id == row.id, models.Document.kind == "signed_result").limit(1)) is not None
            return {"code": row.code, "has_result": has_result, "status": row.status, "procedure": row.procedure_code,
                    "procedure_name": definition.name if definition else "",
                    "current_agencies": agencies, "received_at": row.received_at, "due_at": row.due_at,
                    "finished_at": row.finished_at, "applicant": mask_name(row.applicant_name)}


def _json_safe(value: Any) -> Any:
    """TOML metadata (dates, decimals) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _state_conflict(step: models.Step) -> Conflict:
    if step.state == "claimed":
        return Conflict("Bước đã có cán bộ khác nhận")
    if step.state == "completed":
        return StateError("Bước đã hoàn thành")
    if step.state == "cancelled":
        return StateError("Bước đã bị hủy")
    return StateError(f"Bước đang ở trạng thái {step.state}")


def search_key(text: str) -> str:
    """Lower-case, diacritics-free form of a name for searching ('Nguyễn' → 'nguyen')."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.casefold().split())


def _clean_applicant(applicant: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    return check_applicant(applicant)

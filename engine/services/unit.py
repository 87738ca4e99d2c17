"""What the services share: the process-wide ``Core`` and the ``UnitOfWork`` of one action.

``Core`` holds the settings, the database, the clock and the per-process caches (parsed
definitions, live workflows, the working calendar, lane bindings). ``Core.unit()`` opens one write
transaction and yields its ``UnitOfWork``: the session, the action's instant, the settings and
calendar, ``record()`` for the event log and the outbox, and the workflows to cache after commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from engine import accounts, calendar_decisions, events, lanes, models, queries
from engine.calendar import WorkingCalendar
from engine.db import WRITE_OPTION, database_errors, make_engine, make_session_factory
from engine.definitions import Definition, load_definition
from engine.errors import InvalidInput, NotFound
from engine.prepared import Prepared
from engine.settings import Settings
from engine.store import WorkflowCache, WorkflowCodec
from engine.views import DossierView

Clock = Callable[[], datetime]
#: How long the working calendar and lane bindings are kept before being read again (seconds).
REFRESH_SECONDS = 30


def system_clock() -> datetime:
    return datetime.now(UTC)


_DOSSIERS: Any = models.Dossier.__table__
_DEFINITION_SOURCE = Prepared(select(models.DefinitionVersion.bpmn, models.DefinitionVersion.filename).where(
    models.DefinitionVersion.id == bindparam("id")))
#: The columns set are those of the parameters given (one compiled form per set of columns).
_UPDATE_DOSSIER = Prepared(_DOSSIERS.update().where(_DOSSIERS.c.id == bindparam("b_id")))


class DossierRow:
    """A dossier's row read with plain SQL (no ORM identity map or flush): attributes read as the
    columns, and the ones set are written back by one UPDATE when the unit of work ends."""

    __slots__ = ("_changed", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_changed", set())

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"dossiers has no column {name}")
        if self._values[name] != value or type(self._values[name]) is not type(value):
            self._values[name] = value
            self._changed.add(name)

    def write(self, conn: Connection) -> None:
        """UPDATE the changed columns (nothing when none changed)."""
        if self._changed:
            _UPDATE_DOSSIER.execute(conn, columns=True,
                                    params={"b_id": self._values["id"], **{n: self._values[n] for n in self._changed}})
            self._changed.clear()


class UnitOfWork:
    """One action's transaction: everything a service writes goes through here."""

    def __init__(self, conn: Connection, now: datetime, settings: Settings, calendar: WorkingCalendar,
                 session: Session | None = None) -> None:
        #: The transaction's connection: statements built once run here without the ORM.
        self.conn = conn
        self.now = now
        self.settings = settings
        self.calendar = calendar
        self._session = session
        #: (dossier id, state version, workflow) to put in the cache once committed.
        self.keep: list[tuple[int, int, BpmnWorkflow]] = []
        #: Dossier rows read for writing: their changes are written when the unit ends.
        self.dossiers: list[DossierRow] = []
        #: Event log entries recorded and not yet written (see ``flush``).
        self.entries: list[dict[str, Any]] = []

    @property
    def session(self) -> Session:
        """An ORM session in the same transaction, made when first needed (the rarer actions)."""
        if self._session is None:
            self._session = Session(bind=self.conn, expire_on_commit=False)
        return self._session

    def close(self) -> None:
        """Close the ORM session, if any."""
        if self._session is not None:
            self._session.close()

    def track(self, values: dict[str, Any]) -> DossierRow:
        row = DossierRow(values)
        self.dossiers.append(row)
        return row

    def flush(self) -> None:
        """Write the recorded events (with their outbox messages) and the dossiers' changes.

        Called when the unit ends, and by ``view`` before reading a dossier back."""
        if self._session is not None:
            self._session.flush()
        events.write(self.conn, self.entries)
        self.entries.clear()
        for row in self.dossiers:
            row.write(self.conn)

    def record(self, action: str, *, dossier_id: int | None = None, step_id: int | None = None,
               actor_id: int | None = None, details: dict[str, Any] | None = None) -> None:
        """Note what happened: an event log entry, and an outbox message when others react to it,
        written with the rest of the unit (in the order recorded)."""
        self.entries.append(events.entry(action, self.now, dossier_id=dossier_id, step_id=step_id,
                                         actor_id=actor_id, details=details))

    def view(self, dossier: DossierRow, *, with_history: bool | Literal["open"] = True,
             with_events: bool = True) -> DossierView:
        """The dossier as the unit leaves it."""
        self.flush()
        return queries.dossier_view(self.conn, dossier, with_history=with_history, with_events=with_events)


class Core:
    """The process-wide state of one engine: settings, database, clock and caches. Thread-safe."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, cache_size: int = 2000,
                 **engine_kwargs: Any) -> None:
        self.settings = settings
        accounts.configure_password_hashing(settings.password_hashing)
        self.db = make_engine(settings.database_url, **engine_kwargs)
        self.Session = make_session_factory(self.db)
        self.clock: Clock = clock or system_clock
        self.codec = WorkflowCodec(settings.max_state_bytes)
        self.cache = WorkflowCache(cache_size)
        self._definitions: dict[int, Definition] = {}
        self._definitions_lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._calendar_loaded = 0.0
        self._directory: tuple[lanes.Directory, float] | None = None

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now.astimezone(UTC)

    @contextmanager
    def unit(self, now: datetime | None = None) -> Iterator[UnitOfWork]:
        """One write transaction; a lost race surfaces as RetryableConflict with nothing written."""
        calendar = self.calendar()  # refreshed outside the write lock: it reads on its own connection
        with database_errors(), self.db.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                unit = UnitOfWork(conn, now or self.now(), self.settings, calendar)
                try:
                    yield unit
                    unit.flush()
                finally:
                    unit.close()
        for dossier_id, version, wf in unit.keep:
            self.cache.put(dossier_id, version, wf)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session."""
        with database_errors(), self.Session() as session:
            yield session

    def calendar(self) -> WorkingCalendar:
        """The working calendar with the decisions and the admin's overrides (re-read at most every 30 s)."""
        if self._calendar is None or time.monotonic() - self._calendar_loaded > REFRESH_SECONDS:
            with self.Session() as session:
                rows = session.scalars(select(models.CalendarOverride)).all()
                overrides = {r.day: r.working for r in rows}
                notes = {r.day: r.note for r in rows if r.note}
                data = calendar_decisions.load_data(session)
            self._calendar = WorkingCalendar(self.settings.calendar_config(), overrides, notes, data)
            self._calendar_loaded = time.monotonic()
        return self._calendar

    def invalidate_calendar(self) -> None:
        self._calendar = None

    def directory(self, *, fresh: bool = False) -> lanes.Directory:
        """Kinds, units and agencies for lane resolution (re-read at most every 30 s, or when asked)."""
        cached = self._directory
        if fresh or cached is None or time.monotonic() - cached[1] > REFRESH_SECONDS:
            with self.Session() as session:
                found = lanes.load_directory(session, self.calendar().localize(self.now()).date())
            self._directory = cached = (found, time.monotonic())
        return cached[0]

    def lane_agency(self, lane: str, commune: str = "") -> tuple[int, str]:
        """(agency id, code) a lane means for a dossier of ``commune`` (engine.lanes.resolve); on a
        miss the directory is read again once (an agency added a moment ago)."""
        try:
            found = lanes.resolve(self.directory(), lane, commune)
        except lanes.LaneUnresolved:
            found = lanes.resolve(self.directory(fresh=True), lane, commune)
        return found.id, found.code

    def reception_commune(self, desk_agency_id: int, commune: str | None, definition: Definition) -> str:
        """The dossier's commune (given, else the desk's unit); refused when a lane finds no agency there."""
        def check(directory: lanes.Directory) -> str:
            desk = directory.agencies.get(desk_agency_id)
            chosen = (commune or "").strip() or ((desk.admin_unit if desk else None) or "")
            lanes.check_reception(directory, definition.lanes, chosen)
            return chosen

        try:
            return check(self.directory())
        except InvalidInput:
            return check(self.directory(fresh=True))

    def definition(self, reader: Session | Connection, definition_id: int) -> Definition:
        """The loaded definition version (parsed once per process)."""
        found = self._definitions.get(definition_id)
        if found is not None:
            return found
        row = _DEFINITION_SOURCE.execute(queries.connection(reader), {"id": definition_id}).first()
        if row is None:
            raise NotFound(f"Không có phiên bản quy trình {definition_id}")
        loaded = load_definition(row.bpmn, row.filename)
        with self._definitions_lock:
            return self._definitions.setdefault(definition_id, loaded)

    def remember_definition(self, definition_id: int, definition: Definition) -> None:
        with self._definitions_lock:
            self._definitions[definition_id] = definition

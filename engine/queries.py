"""Read-side queries with plain SQL joins: inboxes, steps, dossiers, history. Never loads a workflow."""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, and_, bindparam, exists, literal, select, text
from sqlalchemy.orm import Session, aliased

from engine import db, models
from engine.accounts import Actor
from engine.errors import NotFound, PermissionDenied
from engine.prepared import Prepared
from engine.statuses import OPEN_STATES
from engine.views import DossierView, EventView, StepView

OPEN_SQL = text("steps.state IN ('ready', 'claimed')")

_assignee = aliased(models.Official)
_completer = aliased(models.Official)


_STEP = models.Step.__table__.c


@functools.cache
def _step_select() -> Any:
    """Plain column rows (no ORM identity map): listing steps stays cheap at any size.

    Built once: statements are immutable, and each ``.where()`` makes a new one.
    """
    return (
        select(*_STEP, models.Dossier.code.label("dossier_code"),
               models.Dossier.procedure_code.label("procedure_code"),
               models.Dossier.applicant_name.label("applicant_name"), models.Agency.code.label("agency_code"),
               models.Agency.name.label("agency_name"), _assignee.full_name.label("assignee_name"),
               _assignee.username.label("assignee_username"), _completer.full_name.label("completer_name"),
               _completer.username.label("completer_username"))
        .join(models.Dossier, models.Dossier.id == models.Step.dossier_id)
        .join(models.Agency, models.Agency.id == models.Step.agency_id)
        .outerjoin(_assignee, _assignee.id == models.Step.assignee_id)
        .outerjoin(_completer, _completer.id == models.Step.completed_by)
    )


def _step_view(row: Any) -> StepView:
    return StepView(
        id=row.id, dossier_id=row.dossier_id, dossier_code=row.dossier_code,
        procedure_code=row.procedure_code, element_id=row.element_id, name=row.name,
        agency_id=row.agency_id, agency_code=row.agency_code, agency_name=row.agency_name,
        state=row.state, step_kind=row.step_kind, role=row.role or "",
        working_days=Decimal(row.working_days),
        ready_at=row.ready_at, due_at=row.due_at, assignee_id=row.assignee_id,
        assignee_name=row.assignee_name, assignee_username=row.assignee_username,
        claimed_at=row.claimed_at, completed_at=row.completed_at,
        completed_by=row.completed_by, completed_by_name=row.completer_name,
        completed_by_username=row.completer_username,
        timeliness=row.timeliness, note=row.note or "", form_data=row.form_data,
        applicant_name=row.applicant_name,
    )


@functools.cache
def _inbox_stmt(by_procedure: bool, mine: bool) -> Any:
    # Literal state values so both SQLite and PostgreSQL match the partial index ix_steps_open_by_agency.
    stmt = _step_select().where(models.Step.agency_id == bindparam("agency_id"), OPEN_SQL, models.Step.role.in_(
        [literal(""), bindparam("b_role1"), bindparam("b_role2"), bindparam("b_role3")]))
    if by_procedure:
        stmt = stmt.where(models.Dossier.procedure_code == bindparam("procedure"))
    if mine:  # an open step with an assignee is claimed: the partial index ix_steps_claimed_by
        stmt = stmt.where(models.Step.assignee_id == bindparam("mine"), text("steps.state = 'claimed'"))
    return Prepared(stmt.order_by(models.Step.agency_id, models.Step.due_at, models.Step.id)
                    .limit(bindparam("limit")).offset(bindparam("offset")))


def inbox(session: Reader, agency_id: int, roles: Mapping[str, str], *, procedure: str | None = None,
          mine_only_of: int | None = None, limit: int = 200, offset: int = 0) -> list[StepView]:
    """Open steps of an agency for an official's roles (``accounts.role_params``), soonest due
    first (so overdue ones lead)."""
    stmt = _inbox_stmt(bool(procedure), mine_only_of is not None)
    params = {"agency_id": agency_id, "procedure": procedure, "mine": mine_only_of, "limit": limit,
              "offset": offset, **roles}
    return [_step_view(r) for r in stmt.execute(connection(session), params)]


@functools.cache
def _by_step() -> Prepared:
    return Prepared(_step_select().where(models.Step.id == bindparam("step_id")))


@functools.cache
def _by_dossier() -> Prepared:
    return Prepared(_step_select().where(models.Step.dossier_id == bindparam("dossier_id")).order_by(
        models.Step.ready_at, models.Step.id))


@functools.cache
def _open_by_dossier() -> Prepared:
    return Prepared(_step_select().where(models.Step.dossier_id == bindparam("dossier_id"), OPEN_SQL).order_by(
        models.Step.ready_at, models.Step.id))


@functools.cache
def _events_by_dossier() -> Prepared:
    ev = models.Event.__table__.c
    return Prepared(select(ev.id, ev.action, ev.at, ev.actor_id, models.Official.full_name, ev.step_id, ev.details,
                           models.Official.username)
                    .outerjoin(models.Official, models.Official.id == ev.actor_id)
                    .where(ev.dossier_id == bindparam("dossier_id")).order_by(ev.id))


def step(session: Reader, step_id: int) -> StepView | None:
    row = _by_step().execute(connection(session), {"step_id": step_id}).first()
    return _step_view(row) if row else None


def steps_of(session: Reader, dossier_id: int) -> list[StepView]:
    return [_step_view(r) for r in _by_dossier().execute(connection(session), {"dossier_id": dossier_id})]


def events_of(session: Reader, dossier_id: int) -> list[EventView]:
    return [event_view(r) for r in _events_by_dossier().execute(connection(session), {"dossier_id": dossier_id})]


def dossier_view(session: Reader, dossier: Any, *, with_history: bool | Literal["open"] = True,
                 with_events: bool = True) -> DossierView:
    """The dossier with all its steps and its history; ``with_history="open"``: only its open steps."""
    definition = _definition_label(session, dossier.definition_id)
    agency = _agency_label(session, dossier.receiving_agency_id) if dossier.receiving_agency_id else None
    if with_history == "open":
        rows = _open_by_dossier().execute(connection(session), {"dossier_id": dossier.id})
        return build_dossier_view(dossier, definition, agency, [_step_view(r) for r in rows], [])
    steps = steps_of(session, dossier.id) if with_history else []
    return build_dossier_view(dossier, definition, agency, steps,
                              events_of(session, dossier.id) if with_history and with_events else [])


def build_dossier_view(dossier: Any, definition: _Label, agency: _Label | None, steps: list[StepView],
                       events: list[EventView]) -> DossierView:
    """The view of a dossier row (an ORM object or any row with the same attribute names)."""
    return DossierView(
        id=dossier.id, code=dossier.code, procedure_code=dossier.procedure_code,
        procedure_name=definition.name, definition_id=definition.id, definition_version=definition.version,
        status=dossier.status, outcome=dossier.outcome,
        applicant={"name": dossier.applicant_name, "id_number": dossier.applicant_id_number,
                   "phone": dossier.applicant_phone, "email": dossier.applicant_email,
                   "address": dossier.applicant_address},
        data=dict(dossier.data or {}), received_at=dossier.received_at, counting_from=dossier.counting_from,
        due_at=dossier.due_at, original_due_at=dossier.original_due_at, finished_at=dossier.finished_at,
        receiving_agency_code=agency.code if agency else "",
        receiving_agency_name=agency.name if agency else "",
        steps=steps, events=events,
        supplement_count=dossier.supplement_count, apology_count=dossier.apology_count,
        paused_at=dossier.paused_at, incident=dossier.incident or "",
        commune_code=dossier.commune_code or "",
    )


def event_view(row: Any) -> EventView:
    i, action, at, actor, name, step, details, username = row
    return EventView(i, action, at, actor, name, step, dict(details or {}), username)


class _Label:
    """Immutable facts about a definition version or agency, cached per process."""

    def __init__(self, id_: int, name: str, version: int = 0, code: str = "") -> None:
        self.id, self.name, self.version, self.code = id_, name, version, code


class _Labels:
    """The labels cached for one database: definition versions (never change once deployed) and
    agencies (kept 30 s: rarely renamed)."""

    def __init__(self) -> None:
        self.definitions: dict[int, _Label] = {}
        self.agencies: dict[int, tuple[_Label, float]] = {}


# Per database engine: a process may open several databases (the tests, the benchmarks), whose
# ids mean different things.
_labels: weakref.WeakKeyDictionary[Any, _Labels] = weakref.WeakKeyDictionary()


def _labels_of(bind: Any) -> _Labels:
    found = _labels.get(bind)
    if found is None:
        found = _labels[bind] = _Labels()
    return found


Reader = Session | Connection


def connection(reader: Reader) -> Connection:
    """The connection of a session (or the connection itself): where built statements run."""
    return reader.connection() if isinstance(reader, Session) else reader


def _engine_of(reader: Reader) -> Any:
    bind = reader.get_bind() if isinstance(reader, Session) else reader
    return getattr(bind, "engine", bind)


_DEFINITION_LABEL = Prepared(select(models.DefinitionVersion.id, models.DefinitionVersion.name,
                                    models.DefinitionVersion.version, models.DefinitionVersion.procedure_code).where(
    models.DefinitionVersion.id == bindparam("id")))
_AGENCY_LABEL = Prepared(select(models.Agency.id, models.Agency.name, models.Agency.code).where(
    models.Agency.id == bindparam("id")))


def _definition_label(reader: Reader, definition_id: int) -> _Label:
    cache = _labels_of(_engine_of(reader)).definitions
    hit = cache.get(definition_id)
    if hit is None:  # definition versions never change once deployed
        row = _DEFINITION_LABEL.execute(connection(reader), {"id": definition_id}).one()
        hit = cache[definition_id] = _Label(row.id, row.name, row.version, row.procedure_code)
    return hit


def _agency_label(reader: Reader, agency_id: int) -> _Label:
    cache = _labels_of(_engine_of(reader)).agencies
    hit = cache.get(agency_id)
    if hit is not None and time.monotonic() - hit[1] < 30:
        return hit[0]
    row = _AGENCY_LABEL.execute(connection(reader), {"id": agency_id}).one()
    label = _Label(row.id, row.name, code=row.code)
    cache[agency_id] = (label, time.monotonic())
    return label


def visible_condition(actor: Actor) -> Any:
    """SQL condition: dossiers the official's agency takes part in (received it or holds a step).

    The rule: an official sees a dossier only when their agency received it at its desk or has
    (had) a step in it; an admin sees all. Leaders see what their agency sees.
    """
    if actor.has("admin"):
        return True
    # dossier_agencies holds exactly "received it or holds/held a step" (kept by the runtime).
    return exists().where(models.DossierAgency.dossier_id == models.Dossier.id,
                          models.DossierAgency.agency_id == actor.agency_id)


_PARTICIPATION = Prepared(per_dialect=lambda name: db.insert_ignoring_in(
    name, models.DossierAgency.__table__, index_elements=["dossier_id", "agency_id"]))


def record_participation(session: Reader, dossier: Any, agency_id: int) -> None:
    """Note that an agency takes part in a dossier (idempotent, safe under concurrency)."""
    _PARTICIPATION.execute(connection(session), columns=True, params={
        "dossier_id": dossier.id, "agency_id": agency_id, "received_at": dossier.received_at,
        "applicant_search": dossier.applicant_search})


def can_view(session: Session, actor: Actor, dossier_id: int) -> bool:
    stmt = select(models.Dossier.id).where(and_(models.Dossier.id == dossier_id, visible_condition(actor)))
    return session.scalar(stmt) is not None


def visible_dossier(session: Session, code: str, actor: Actor | None) -> models.Dossier:
    """The dossier with this code, if the official may see it (None: no official, e.g. the engine itself)."""
    row = session.scalar(select(models.Dossier).where(models.Dossier.code == code))
    if row is None:
        raise NotFound(f"Không có hồ sơ {code!r}")
    if actor is not None and not can_view(session, actor, row.id):
        raise PermissionDenied("Cơ quan của bạn không tham gia hồ sơ này")
    return row


def current_agency_names(session: Session, dossier_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not dossier_ids:
        return out
    stmt = (select(models.Step.dossier_id, models.Agency.name)
            .join(models.Agency, models.Agency.id == models.Step.agency_id)
            .where(models.Step.dossier_id.in_(dossier_ids), models.Step.state.in_(OPEN_STATES))
            .order_by(models.Step.id))
    for did, name in session.execute(stmt):
        names = out.setdefault(did, [])
        if name not in names:
            names.append(name)
    return out

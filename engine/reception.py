"""One reception: when a procedure's first step belongs to the receiving desk, receiving the
dossier completes that step at once with the values the desk entered (one form, one receipt).

``desk_first_step`` says whether a procedure's first step is the desk's own (its lane is the
clerk's agency and it names no role or the clerk's); ``receive`` checks the applicant, the
reception data and the first step's values together (every error at once, the step's under
``first_step.<field>``), then receives the dossier and completes the step. Without
``first_step`` the first step stays open in the desk's queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from engine.accounts import Actor
from engine.definitions import HUMAN_KINDS, Definition, StepSpec
from engine.errors import FormInvalid, InvalidInput, LienThongError
from engine.forms import check_applicant, validate_form
from engine.views import DossierView

if TYPE_CHECKING:
    from engine.runtime import Engine

PREFIX = "first_step."


def first_step(definition: Definition) -> StepSpec | None:
    """The human step the top-level start event leads to directly, if there is exactly one."""
    process = definition.process
    starts = [n for n in process.nodes.values() if n.kind == "startEvent" and n.parent_id is None]
    if len(starts) != 1 or len(starts[0].outgoing) != 1:
        return None
    flow = process.flows.get(starts[0].outgoing[0])
    target = process.nodes.get(flow.target) if flow else None
    if target is None or target.kind not in HUMAN_KINDS:
        return None
    return definition.steps.get(target.id)


def desk_first_step(engine: Engine, actor: Actor, definition: Definition,
                    commune: str | None = None) -> StepSpec | None:
    """The first step when the receiving desk (``actor``'s agency, a clerk) does it for a dossier of
    ``commune`` (default: the desk's own unit), else None: a dossier received for another commune
    leaves its first step to that commune's agency."""
    spec = first_step(definition)
    if spec is None or spec.role not in ("", "clerk"):
        return None
    desk = engine.directory().agencies.get(actor.agency_id)
    chosen = (commune or "").strip() or ((desk.admin_unit if desk else None) or "")
    try:  # a lane naming a kind means that commune's agency of that kind
        agency_id, _code = engine.core.lane_agency(spec.lane, chosen)
    except LienThongError:
        return None
    return spec if agency_id == actor.agency_id else None


def receive(engine: Engine, actor: Actor, procedure_code: str, applicant: Mapping[str, Any],
            data: Mapping[str, Any] | None, first: Mapping[str, Any] | None, *, note: str = "",
            pending: Mapping[str, str] | None = None, commune: str | None = None,
            with_history: bool | Literal["open"] = True) -> DossierView:
    """Receive a dossier; with ``first`` (the first step's form values), complete the desk's first
    step at once. ``pending`` are errors the caller found in the same submission (the documents);
    every error is reported together and nothing is written when any value is refused."""
    if first is None and not pending:
        return engine.start_dossier(actor, procedure_code, applicant, data, with_history=with_history, commune=commune)
    definition = engine.definition(engine.procedure(procedure_code).definition_id)
    spec = desk_first_step(engine, actor, definition, commune) if first is not None else None
    if first is not None and spec is None:
        raise InvalidInput("Bước đầu tiên của thủ tục này không do bộ phận một cửa của bạn thực hiện; "
                           "hãy bỏ first_step")
    errors: dict[str, str] = dict(pending or {})
    errors.update(check_applicant(applicant)[1])
    today = engine.today()
    forms = [(definition.start_fields, data, "")] + ([(spec.fields, first, PREFIX)] if spec else [])
    for fields, values, prefix in forms:
        try:
            validate_form(fields, values or {}, today=today)
        except FormInvalid as exc:
            errors.update({prefix + k: v for k, v in exc.errors.items()})
    if errors:
        raise FormInvalid(errors)
    if first is None or spec is None:
        return engine.start_dossier(actor, procedure_code, applicant, data, with_history=with_history, commune=commune)
    dossier = engine.start_dossier(actor, procedure_code, applicant, data, with_history="open", commune=commune)
    step = next(s for s in dossier.open_steps if s.element_id == spec.element_id)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, dict(first), note=note, with_steps=with_history,
                           with_events=with_history is True)

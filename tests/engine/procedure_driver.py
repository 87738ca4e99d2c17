"""Drive a real procedure along one path of its diagram and check everything the engine records.

A path is data: the procedure, the reception data, and the acts in order — a step completed by an
official of a named agency and role with its form data, or a timer fired once its working-time
due has passed — plus the expected outcome. ``Driver.run`` starts the dossier with a desk clerk of
the receiving agency. For each act it checks that the step is open in that agency's inbox and in
none of the other agencies taking part in the path, that an official of another agency cannot
claim it; then it claims and completes it. At the end it checks the final status, that nothing is
left open, the form data of every completed step (typed), one ``step.completed`` event per
completed step, every step's due time against its published budget, the dossier's due time
against the procedure's limit, and that no timer is left pending.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from engine import accounts, models
from engine.demo import demo_username
from engine.errors import PermissionDenied
from engine.forms import FieldSpec
from engine.runtime import Engine
from engine.timeliness import step_due
from engine.views import DossierView, StepView

APPLICANT = {"name": "Nguyễn Thị Bình", "id_number": "060187001234", "phone": "0912345678",
             "address": "Thôn 1, xã Phong Nẫm, TP Phan Thiết"}

#: A signed result as a file field receives it (a minimal PDF).
SIGNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

#: Who handles a step of each kind (docs/modelling.md, "step_kind" table).
ROLE_FOR_KIND = {"receive": "clerk", "examine": "officer", "review": "leader", "sign": "leader",
                 "consult": "officer", "supplement": "clerk", "return": "clerk"}


@dataclass(frozen=True)
class Procedure:
    """A shipped procedure as published: code, desk, limit in force, step budgets, first step."""

    code: str
    desk: str  # agency code of the desk (lane of the receiving step)
    limit: Decimal  # the limit in force: the reduced one when the province cut it
    budgets: Mapping[str, str]  # element id → working days, as published
    first: str  # the step open right after reception


@dataclass(frozen=True)
class Do:
    """Complete one step as an official of ``agency`` with ``role``."""

    element: str
    agency: str
    role: str
    data: Mapping[str, Any] = field(default_factory=dict)
    then_open: frozenset[str] | None = None  # element ids open afterwards, when worth checking
    then_status: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)  # stored values when not ``canon(data)``


@dataclass(frozen=True)
class Fire:
    """Wait for the timer event ``element`` (due ``days`` working days after it was armed), fire it."""

    element: str
    days: Decimal
    then_open: frozenset[str] | None = None


@dataclass(frozen=True)
class Path:
    id: str
    procedure: str
    start: Mapping[str, Any]
    acts: Sequence[Do | Fire]
    outcome: str
    supplements: int = 0


def opened(*elements: str) -> frozenset[str]:
    return frozenset(elements)


def canon(value: Any) -> Any:
    """A submitted value as the engine stores it (dates as ISO strings)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


def expected_form(fields: Sequence[FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of the form: the submitted value typed, an absent one False (boolean) or None."""
    ids = {f.id for f in fields}
    assert set(data) <= ids, f"test data names fields the form lacks: {set(data) - ids}"
    return {f.id: canon(data[f.id]) if f.id in data else (False if f.type == "boolean" else None)
            for f in fields}


@dataclass
class _Done:
    step_id: int
    element: str
    actor_id: int
    expected: dict[str, Any]


class Driver:
    """One engine on a seeded database, the demo officials, a fake clock."""

    def __init__(self, engine: Engine, clock: Any, procedures: Mapping[str, Procedure]) -> None:
        self.engine = engine
        self.clock = clock
        self.procedures = procedures
        #: Ask reception and every completion for the open steps only (``"open"``) and check that
        #: answer against a read of the dossier.
        self.open_answers = False
        self._documents: Any = None  # engine.documents.Documents, made when a path attaches a file
        with engine.Session() as session:
            officials = accounts.list_officials(session)
            self.agency_codes = [a.code for a in accounts.list_agencies(session)]
        self.by_username = {a.username: a for a in officials}
        # One official per agency that has any: inboxes are per agency.
        self.one_per_agency: dict[str, Any] = {}
        for actor in officials:
            if actor.has(*accounts.HANDLING_ROLES):
                self.one_per_agency.setdefault(actor.agency_code, actor)

    def actor(self, agency: str, role: str) -> Any:
        username = demo_username(agency, role)
        assert username in self.by_username, f"no demo official {username}"
        return self.by_username[username]

    # ------------------------------------------------------------------ checks

    def check_open_answer(self, answer: DossierView) -> None:
        """An answer with only the open steps holds exactly what a read of the dossier gives:
        the same steps in the same order, every field equal and written the same way."""
        read = self.engine.dossier(answer.code)
        assert answer.steps == read.open_steps
        for given, stored in zip(answer.steps, read.open_steps, strict=True):
            for name in ("ready_at", "due_at", "claimed_at", "completed_at"):
                assert repr(getattr(given, name)) == repr(getattr(stored, name)), name
            assert str(given.working_days) == str(stored.working_days)
        assert answer.events == []
        assert (answer.status, answer.outcome, answer.due_at, answer.finished_at) == (
            read.status, read.outcome, read.due_at, read.finished_at)

    def open_in_inbox(self, dossier_id: int, act: Do, actor: Any) -> StepView:
        """The act's step, open in its agency's inbox and in no other participating agency's."""
        code = self._procedure_code
        mine = [s for s in self.engine.inbox(actor, procedure=code)
                if s.dossier_id == dossier_id and s.element_id == act.element]
        assert len(mine) == 1, (f"{act.element} should be open once in {act.agency}'s inbox, found {len(mine)}; "
                                f"open: {self._open_elements(dossier_id)}")
        step = mine[0]
        assert step.state == "ready" and step.agency_code == act.agency
        for agency_code in self._participants - {act.agency}:
            other = self.one_per_agency[agency_code]
            theirs = [s.id for s in self.engine.inbox(other, procedure=code) if s.dossier_id == dossier_id]
            assert step.id not in theirs, f"{act.element} also in {agency_code}'s inbox"
        return step

    def _open_elements(self, dossier_id: int) -> list[str]:
        with self.engine.Session() as session:
            return list(session.scalars(select(models.Step.element_id).where(
                models.Step.dossier_id == dossier_id, models.Step.state.in_(("ready", "claimed")))))

    def pending_timers(self, dossier_id: int) -> list[models.Timer]:
        with self.engine.Session() as session:
            rows = session.scalars(select(models.Timer).where(
                models.Timer.dossier_id == dossier_id, models.Timer.fired_at.is_(None),
                models.Timer.cancelled_at.is_(None)).order_by(models.Timer.id)).all()
            session.expunge_all()
            return list(rows)

    def all_timers(self, dossier_id: int) -> list[models.Timer]:
        with self.engine.Session() as session:
            rows = session.scalars(select(models.Timer).where(models.Timer.dossier_id == dossier_id)).all()
            session.expunge_all()
            return list(rows)

    # ------------------------------------------------------------------ the run

    def run(self, path: Path, received_at: datetime, *, finish: bool = True) -> DossierView:
        """Drive ``path``; with ``finish=False`` stop after its acts (a prefix) without the final checks."""
        engine, clock = self.engine, self.clock
        proc = self.procedures[path.procedure]
        self._procedure_code = proc.code
        # The agencies taking part in the path: where a misrouted step would land.
        self._participants = {proc.desk} | {a.agency for a in path.acts if isinstance(a, Do)}
        clock.set(received_at)
        cal = engine.calendar()
        clerk = self.actor(proc.desk, "clerk")
        if self.open_answers:
            d = engine.start_dossier(clerk, proc.code, APPLICANT, path.start, with_history="open")
            self.check_open_answer(d)
        else:
            d = engine.start_dossier(clerk, proc.code, APPLICANT, path.start)

        # Reception: the desk, the data, the limit in force, the first step and its budget.
        assert d.status == "received" and d.receiving_agency_code == proc.desk
        assert d.data == {k: canon(v) for k, v in path.start.items()}
        assert d.counting_from == cal.counting_start(received_at)
        assert d.due_at == cal.add(d.counting_from, days=proc.limit)
        assert d.original_due_at == d.due_at
        assert [s.element_id for s in d.open_steps] == [proc.first]
        first = d.open_steps[0]
        assert first.due_at == cal.add(received_at, days=Decimal(proc.budgets[proc.first]))

        done: list[_Done] = []
        armed: dict[int, datetime] = {}  # timer id → when it appeared
        self._note_timers(d.id, armed)
        view = d
        for act in path.acts:
            clock.advance(minutes=10)
            if isinstance(act, Fire):
                view = self._fire(d, act, armed)
            else:
                view = self._do(d, act, done)
                if act.then_status is not None:
                    assert view.status == act.then_status, f"after {act.element}: {view.status}"
            if act.then_open is not None:
                assert {s.element_id for s in view.open_steps} == act.then_open, (
                    f"after {act.element}: open {sorted(s.element_id for s in view.open_steps)}")
            self._note_timers(d.id, armed)
            if view.is_finished:
                assert act is path.acts[-1], f"the dossier finished early, at {act.element}"

        final = engine.dossier(d.code)
        if finish:
            self._check_final(path, final, done, clock.now)
        return final

    def _note_timers(self, dossier_id: int, armed: dict[int, datetime]) -> None:
        for timer in self.pending_timers(dossier_id):
            armed.setdefault(timer.id, self.clock.now)

    def _do(self, d: DossierView, act: Do, done: list[_Done]) -> DossierView:
        engine = self.engine
        actor = self.actor(act.agency, act.role)
        step = self.open_in_inbox(d.id, act, actor)
        assert ROLE_FOR_KIND[step.step_kind] == act.role, (
            f"{act.element} is a '{step.step_kind}' step: done by a {ROLE_FOR_KIND[step.step_kind]}")
        assert step.working_days == Decimal(self.procedures[self._procedure_name(d)].budgets[act.element])
        assert step.due_at == step_due(engine.calendar(), step.ready_at, step.working_days)
        outsider = next(a for code, a in self.one_per_agency.items() if code != act.agency)
        with pytest.raises(PermissionDenied):
            engine.claim(outsider, step.id)
        engine.claim(actor, step.id)
        fields = engine.step_form(actor, step.id).fields
        data = dict(act.data) | self._attach_files(actor, d, step, fields, act.data)
        expected = expected_form(fields, data) | dict(act.expect)
        if self.open_answers:
            view = engine.complete(actor, step.id, data, note=f"Xử lý {act.element}", with_steps="open")
            self.check_open_answer(view)
        else:
            view = engine.complete(actor, step.id, data, note=f"Xử lý {act.element}")
        done.append(_Done(step.id, act.element, actor.id, expected))
        return view

    def _attach_files(self, actor: Any, d: DossierView, step: StepView, fields: Sequence[FieldSpec],
                      given: Mapping[str, Any]) -> dict[str, str]:
        """Attach a signed PDF for each file field the path leaves out; the field takes its id."""
        from engine.documents import Documents

        wanted = [f.id for f in fields if f.type == "file" and f.id not in given]
        if not wanted:
            return {}
        if self._documents is None:
            self._documents = Documents(self.engine, tempfile.mkdtemp(prefix="lienthong-docs-"))
        return {fid: str(self._documents.attach(actor, d.code, f"{fid}.pdf", SIGNED_PDF, kind="signed_result",
                                                step_id=step.id).id) for fid in wanted}

    def _procedure_name(self, d: DossierView) -> str:
        return next(name for name, p in self.procedures.items() if p.code == d.procedure_code)

    def _fire(self, d: DossierView, act: Fire, armed: dict[int, datetime]) -> DossierView:
        engine, clock = self.engine, self.clock
        timers = [t for t in self.pending_timers(d.id) if t.element_id == act.element]
        assert len(timers) == 1, f"one pending {act.element} timer expected, found {len(timers)}"
        timer = timers[0]
        due = engine.calendar().add(armed[timer.id], days=act.days)
        assert timer.due_at == due, f"{act.element} due {timer.due_at}, expected {due}"
        before = engine.dossier(d.code)
        clock.set(due - timedelta(minutes=1))
        assert timer.id not in engine.due_timers(limit=10_000), "the timer is due before its working-time due"
        clock.set(due)
        assert timer.id in engine.due_timers(limit=10_000)
        clock.advance(minutes=5)
        assert engine.fire_timer(timer.id) is True
        assert engine.fire_timer(timer.id) is False  # once only
        view = engine.dossier(d.code)
        fired = [e for e in view.events if e.action == "timer.fired"]
        assert fired and fired[-1].details["element"] == act.element
        # Firing touches no step that was already open (a reminder runs alongside its step).
        still = {s.id for s in view.open_steps}
        assert {s.id for s in before.open_steps} <= still | {s.id for s in view.steps if s.state == "completed"}
        assert not [s for s in view.steps if s.state == "cancelled"]
        return view

    def _check_final(self, path: Path, final: DossierView, done: list[_Done], now: datetime) -> None:
        assert final.status == path.outcome, f"{path.id}: ended {final.status}, expected {path.outcome}"
        assert final.outcome == path.outcome
        assert final.finished_at == now and final.paused_at is None
        assert not final.open_steps
        assert final.supplement_count == path.supplements
        by_id = {s.id: s for s in final.steps}
        # Every step the engine created was completed by the path, none cancelled, none extra.
        assert sorted(by_id) == sorted(x.step_id for x in done), (
            f"steps: {[(s.element_id, s.state) for s in final.steps]}")
        for x in done:
            s = by_id[x.step_id]
            assert s.state == "completed" and s.element_id == x.element
            assert s.completed_by == x.actor_id
            assert s.form_data == x.expected, f"{x.element}: {s.form_data} != {x.expected}"
            assert s.timeliness in ("early", "on_time", "late")
        completed = [e for e in final.events if e.action == "step.completed"]
        assert [e.step_id for e in completed] == [x.step_id for x in done]
        assert [e.details["element"] for e in completed] == [x.element for x in done]
        assert [e.details["data"] for e in completed] == [x.expected for x in done]
        assert [e.actor_id for e in completed] == [x.actor_id for x in done]
        assert final.events[0].action == "dossier.received"
        assert final.events[-1].action == "dossier.finished"
        assert final.events[-1].details == {"outcome": path.outcome}
        assert [e.action for e in final.events].count("dossier.finished") == 1
        ready = [e for e in final.events if e.action == "step.ready"]
        assert sorted(e.step_id or 0 for e in ready) == sorted(by_id)
        supplemented = [e for e in final.events if e.action == "dossier.supplemented"]
        assert len(supplemented) == path.supplements
        for timer in self.all_timers(final.id):  # nothing left to fire
            assert timer.fired_at is not None or timer.cancelled_at is not None, timer.element_id

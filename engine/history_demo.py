"""A year of a procedure's history for the demo, made through the engine's own API on a simulated clock.

Dossiers arrive on working days (more on Mondays, fewer on Fridays) during office hours and are
received by the desk; every agency's officials then work their queue first come first served, each
step taking a working time drawn around a share of its budget. One step, ``slow_step`` (by default
the step with the largest budget after reception), is handled by a single official and takes about
one and a half times its budget, so it is where the days go; an assessment sometimes asks the
applicant for more documents, and the supplement loop runs. Every action is the engine's own
(receive, claim, complete), at the simulated time, so the history, statistics and review are true to
what the engine records. The same seed gives the same year.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from engine.accounts import Actor, may_handle
from engine.calendar import WorkingCalendar
from engine.errors import Conflict, FormInvalid, InvalidInput, LienThongError, PermissionDenied, StateError
from engine.forms import FieldSpec
from engine.views import DossierView, StepView

#: Mean arrivals per working day by weekday (Monday first).
ARRIVALS = (1.6, 1.2, 1.2, 1.2, 0.8, 0.0, 0.0)
MAX_DAYS = 800
#: Chance that an examining step asks for a supplement, when its form offers it.
SUPPLEMENT_CHANCE = 0.06
APPLICANT_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
                   "Võ Thị Giang", "Đặng Văn Hải", "Bùi Thị Lan", "Đỗ Văn Minh", "Ngô Thị Nga")


class SimClock:
    """The engine's clock during the simulation: time moves only when the generator says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


class DemoEngine(Protocol):
    def calendar(self) -> WorkingCalendar: ...
    def procedure(self, code: str, version: int | None = None) -> Any: ...
    def start_dossier(self, actor: Actor, procedure_code: str, applicant: Any, data: Any = None, *,
                      with_history: Any = True) -> DossierView: ...
    def claim(self, actor: Actor, step_id: int) -> StepView: ...
    def complete(self, actor: Actor, step_id: int, data: Any = None, note: str = "", *,
                 with_events: bool = False, with_steps: Any = True) -> DossierView: ...
    def step_form(self, actor: Actor, step_id: int) -> Any: ...
    def definition(self, definition_id: int) -> Any: ...


@dataclass(frozen=True)
class Plan:
    procedure: str
    start: date
    days: int = 365
    seed: int = 2026
    slow_step: str | None = None


@dataclass
class Summary:
    dossiers: int = 0
    completions: int = 0
    supplements: int = 0
    slow_step: str = ""
    officials: dict[str, int] = field(default_factory=dict)


@dataclass(order=True)
class _Job:
    ready: datetime
    step_id: int = field(compare=False)
    element: str = field(compare=False)
    agency_id: int = field(compare=False)
    budget: Decimal = field(compare=False)
    role: str = field(default="", compare=False)
    refused: set[int] = field(default_factory=set, compare=False)


class _Office:
    """The simulated officials: who is busy, each agency's queue, and the one who handles the slow step."""

    def __init__(self, officials: list[Actor]) -> None:
        self.by_agency: dict[int, list[Actor]] = {}
        for actor in officials:
            if actor.has("clerk", "officer", "leader"):
                self.by_agency.setdefault(actor.agency_id, []).append(actor)
        self.queues: dict[int, list[_Job]] = {}
        self.busy: set[int] = set()
        self.slow_official: dict[int, int] = {}

    def take(self, actor: Actor, slow_element: str) -> _Job | None:
        """The oldest job of the actor's agency they may do; the slow step has one official, who does nothing else."""
        queue = self.queues.get(actor.agency_id, [])
        skipped: list[_Job] = []
        found: _Job | None = None
        while queue:
            job = heapq.heappop(queue)
            owner = self.slow_official.get(job.agency_id)
            mine = job.element == slow_element
            if (actor.id in job.refused or not may_handle(actor, job.role)
                    or (owner is not None and (owner == actor.id) != mine)):
                skipped.append(job)
                continue
            found = job
            break
        for job in skipped:
            heapq.heappush(queue, job)
        return found


def generate(engine: DemoEngine, clock: SimClock, officials: list[Actor], plan: Plan,
             progress: Callable[[int], None] | None = None) -> Summary:
    """Run ``plan`` through ``engine`` (whose clock is ``clock``) with ``officials``; returns what was made."""
    if not 1 <= plan.days <= MAX_DAYS:
        raise InvalidInput(f"Số ngày mô phỏng phải từ 1 đến {MAX_DAYS}.")
    cal = engine.calendar()
    rng = random.Random(plan.seed)  # noqa: S311 - a reproducible simulation, not a secret
    summary = Summary()
    desk = [a for a in officials if a.has("clerk")]
    if not desk:
        raise InvalidInput("Không có cán bộ một cửa nào để tiếp nhận hồ sơ.")
    office = _Office(officials)
    # What happens next, in time order: (time, order, kind, payload); kinds: arrive, free, finish.
    agenda: list[tuple[datetime, int, str, Any]] = [(at, i, "arrive", None)
                                                    for i, at in enumerate(_arrivals(cal, rng, plan))]
    heapq.heapify(agenda)
    counter = len(agenda)
    slow = plan.slow_step or ""
    start_fields = engine.definition(engine.procedure(plan.procedure).definition_id).start_fields

    def push(at: datetime, kind: str, payload: Any) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(agenda, (at, counter, kind, payload))

    def enqueue(view: DossierView) -> None:
        nonlocal slow
        for step in view.open_steps:
            if step.state != "ready":
                continue
            if not slow and step.step_kind != "receive" and step.working_days > 0:
                slow = step.element_id
            heapq.heappush(office.queues.setdefault(step.agency_id, []),
                           _Job(step.ready_at, step.id, step.element_id, step.agency_id, step.working_days,
                                step.role))
            pool = office.by_agency.get(step.agency_id, [])
            able = [a for a in pool if may_handle(a, step.role)]
            if step.element_id == slow and able:
                office.slow_official.setdefault(step.agency_id, able[0].id)
            for actor in pool:
                if actor.id not in office.busy:
                    push(clock.now, "free", actor)

    end = datetime.combine(plan.start + timedelta(days=plan.days), time(0), tzinfo=cal.zone)
    while agenda and agenda[0][0] < end:  # what is still open at the end stays open, as on a real day
        at, _, kind, payload = heapq.heappop(agenda)
        clock.now = max(clock.now, at)
        if kind == "arrive":
            try:
                data = _fill(start_fields, rng, cal.localize(clock.now).date())
                data.pop("__supplement__", None)
                view = engine.start_dossier(rng.choice(desk), plan.procedure, _applicant(rng), data,
                                            with_history="open")
            except LienThongError:
                continue
            summary.dossiers += 1
            first = view.open_steps[0].agency_id if view.open_steps else None
            own_desk = [a for a in desk if a.agency_id == first]
            if own_desk and len(own_desk) < len(desk):
                desk = own_desk  # later dossiers go to the desk whose lane receives them
            if progress is not None:
                progress(1)
            enqueue(view)
        elif kind == "free":
            actor: Actor = payload
            if actor.id in office.busy:
                continue
            job = office.take(actor, slow)
            if job is None:
                continue
            try:
                engine.claim(actor, job.step_id)
            except (Conflict, PermissionDenied):
                job.refused.add(actor.id)
                heapq.heappush(office.queues[job.agency_id], job)
                push(clock.now, "free", actor)
                continue
            office.busy.add(actor.id)
            worked = _work_seconds(cal, rng, job, job.element == slow)
            push(cal.add_working_seconds(clock.now, worked), "finish", (actor, job))
        else:
            actor, job = payload
            form = engine.step_form(actor, job.step_id)
            data = _fill(form.fields, rng, cal.localize(clock.now).date())
            if data.pop("__supplement__", False):
                summary.supplements += 1
            office.busy.discard(actor.id)
            push(clock.now, "free", actor)
            try:
                view = engine.complete(actor, job.step_id, data, with_steps="open")
            except (FormInvalid, StateError):
                continue
            summary.completions += 1
            enqueue(view)
    summary.slow_step = slow
    summary.officials = {str(k): len(v) for k, v in office.by_agency.items()}
    return summary


def _arrivals(cal: WorkingCalendar, rng: random.Random, plan: Plan) -> list[datetime]:
    out: list[datetime] = []
    for i in range(plan.days):
        day = plan.start + timedelta(days=i)
        if not cal.is_working_day(day):
            continue
        periods = cal.working_periods(day)
        if not periods:
            continue
        for _ in range(_poisson(rng, ARRIVALS[day.weekday()])):
            a, b = periods[rng.randrange(len(periods))]
            span = int((b - a).total_seconds())
            out.append((a + timedelta(seconds=rng.randrange(max(span - 600, 1)))).astimezone(UTC))
    out.sort()
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _work_seconds(cal: WorkingCalendar, rng: random.Random, job: _Job, slow: bool) -> int:
    """Working time spent on a step, spread around a mean.

    The slow step's one official is kept busy about 80 % of the time (mean service 0.8 / arrivals per
    day), so a queue builds up in front of it as in a short-staffed office; other steps take about two fifths of
    their budget (15 minutes for a step without one), at least 15 minutes."""
    day = int(cal.config.seconds_per_day)
    if slow:  # lognormal with mean 1 (mu = -sigma**2 / 2): mean service = 0.8 / arrivals per day
        return max(900, int(0.8 * day / (sum(ARRIVALS) / 5) * rng.lognormvariate(-0.245, 0.7)))
    mean = 0.4 * (cal.budget_seconds(days=job.budget) or day // 8)
    return max(900, int(mean * rng.lognormvariate(-0.08, 0.4)))


def _applicant(rng: random.Random) -> dict[str, str]:
    return {"name": rng.choice(APPLICANT_NAMES), "id_number": f"0601{rng.randrange(10**8):08d}",
            "phone": f"09{rng.randrange(10**8):08d}", "address": "Thôn 1"}


def _fill(fields: tuple[FieldSpec, ...], rng: random.Random, today: date) -> dict[str, Any]:
    """Plausible values for a step's form: the first choice mostly, sometimes a supplement request."""
    data: dict[str, Any] = {}
    for spec in fields:
        if spec.readonly:
            continue
        if spec.type == "enum" and spec.enum_values:
            ids = [value for value, _ in spec.enum_values]
            supplement = [v for v in ids if "bo_sung" in v or "bổ sung" in v]
            if supplement and rng.random() < SUPPLEMENT_CHANCE:
                data[spec.id] = supplement[0]
                data["__supplement__"] = True
            else:
                data[spec.id] = ids[0]
        elif spec.type == "boolean":
            data[spec.id] = True
        elif spec.type in ("long", "integer"):
            data[spec.id] = 1_000_000 + rng.randrange(10) * 100_000
        elif spec.type == "date":
            data[spec.id] = (today - timedelta(days=rng.randrange(1, 20))).isoformat()
        elif spec.required:
            data[spec.id] = "Đã kiểm tra"
    return data


def first_day_of_year(today: date) -> date:
    """The demo year ends today: it starts a year before."""
    return today - timedelta(days=365)


def at_office_opening(cal: WorkingCalendar, day: date) -> datetime:
    return datetime.combine(day, time(7, 30), tzinfo=cal.zone)

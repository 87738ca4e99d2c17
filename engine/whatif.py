"""What if a step's budget, the legal limit or an agency's staff changed? Predicted from the history itself.

Method (also in ``docs/review.md``):

- **Budgets and limits** are replayed: every dossier keeps the times it actually took, and is judged
  against the new limits. A step's new budget shortens (or lengthens) the dossier's limit by the change
  once for each dossier that went through the step (cutting a step cuts the published total, as a
  province's decision does), and its passes are judged against the new budget. A new legal limit
  replaces each dossier's own limit.
- **Staffing** is simulated: each step of the agency is a queue with as many servers as officials who
  completed it in the period, served first come first served in working time (a trace-driven discrete-event
  simulation: arrivals are the moments steps became ready, service times the measured working times).
  The simulation runs twice, as things were and with the change; each pass's measured waiting time is
  reduced by the waiting the simulation says the change saves (never below zero), and the dossier's
  total time by the sum over its passes. Only the agency's queueing changes: its officials' pace and
  every other agency stay as they were.

The answer is deterministic: the same history and changes give the same prediction.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import InvalidInput
from engine.review import Timing, dossier_on_time, measure, totals_days
from engine.review_history import NOT_YET, History
from engine.working_clock import Seconds

MAX_CHANGES = 20
MAX_DAYS = 365
MAX_EXTRA_OFFICIALS = 100

METHOD = ("budgets and limits: the history replayed against the new limits; staffing: a trace-driven "
          "discrete-event simulation of each of the agency's steps as a first-come-first-served queue with one "
          "server per official who handled it, in working time, applied as a change to the measured waiting times")


@dataclass(frozen=True)
class Changes:
    budgets: dict[str, float]
    legal_days: float | None
    officials: dict[str, int]


@dataclass(frozen=True)
class Outcome:
    on_time_share: float | None
    judged: int
    mean_days: float | None
    p90_days: float | None
    late_steps: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"on_time_share": self.on_time_share, "judged": self.judged, "mean_days": self.mean_days,
                "p90_days": self.p90_days}


def parse_changes(raw: Any, h: History) -> Changes:
    """The request's ``changes`` list, checked: known steps and agencies, bounded numbers."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("Cần danh sách thay đổi (changes) không rỗng.")
    if len(raw) > MAX_CHANGES:
        raise InvalidInput(f"Tối đa {MAX_CHANGES} thay đổi một lần.")
    steps = {element_id for element_id, _ in h.elements}
    budgets: dict[str, float] = {}
    legal: float | None = None
    officials: dict[str, int] = {}
    for change in raw:
        if not isinstance(change, Mapping):
            raise InvalidInput("Mỗi thay đổi phải là một đối tượng.")
        if "step" in change:
            step = change["step"]
            if step not in steps:
                raise InvalidInput(f"Bước không có trong lịch sử của thủ tục: {step!r}.")
            budgets[str(step)] = _days(change.get("working_days"), "working_days")
        elif "legal_working_days" in change:
            legal = _days(change["legal_working_days"], "legal_working_days")
            if legal <= 0:
                raise InvalidInput("Thời hạn giải quyết phải lớn hơn 0.")
        elif "agency" in change:
            agency = change["agency"]
            if agency not in h.agencies:
                raise InvalidInput(f"Cơ quan không tham gia thủ tục trong kỳ: {agency!r}.")
            extra = change.get("officials")
            if isinstance(extra, bool) or not isinstance(extra, int) or extra == 0 or abs(extra) > MAX_EXTRA_OFFICIALS:
                raise InvalidInput(f"officials phải là số nguyên khác 0, tối đa ±{MAX_EXTRA_OFFICIALS}.")
            officials[str(agency)] = officials.get(str(agency), 0) + extra
        else:
            raise InvalidInput("Thay đổi phải có step, legal_working_days hoặc agency.")
    return Changes(budgets, legal, officials)


def _days(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} phải là một số ngày làm việc.")
    if not 0 <= value <= MAX_DAYS:
        raise InvalidInput(f"{name} phải trong khoảng 0–{MAX_DAYS} ngày làm việc.")
    return float(value)


def what_if(h: History, raw_changes: Any) -> dict[str, Any]:
    changes = parse_changes(raw_changes, h)
    t = measure(h)
    baseline = _outcome(h, t, t.allowed, t.elapsed, _late_steps(h, t, h.budget_days))
    allowed = t.allowed.copy()
    elapsed = t.elapsed.copy()
    budgets = h.budget_days.copy()
    spd = h.seconds_per_day
    if changes.legal_days is not None:
        allowed = np.full(h.dossiers, round(changes.legal_days * spd), dtype=np.int64)
    for element_id, days in changes.budgets.items():
        e = next(i for i, (el, _) in enumerate(h.elements) if el == element_id)
        passes = h.step_element == e
        old = float(np.median(h.budget_days[passes]))
        budgets = np.where(passes, days, budgets)
        went = np.zeros(h.dossiers, dtype=bool)
        went[h.step_dossier[passes & ~h.cancelled]] = True
        allowed = np.where(went, np.maximum(allowed + round((days - old) * spd), 0), allowed)
    if changes.officials:
        saved = _saved_waiting(h, t, changes.officials)
        elapsed = np.maximum(elapsed - np.bincount(h.step_dossier, weights=saved, minlength=h.dossiers)
                             .astype(np.int64), 0)
    predicted = _outcome(h, t, allowed, elapsed, _late_steps(h, t, budgets))
    newly_late = [{"step": el, "name": name, "late_before": baseline.late_steps.get(el, 0),
                   "late_after": predicted.late_steps.get(el, 0)}
                  for el, name in h.elements if predicted.late_steps.get(el, 0) > baseline.late_steps.get(el, 0)]
    return {"baseline": baseline.as_json(), "predicted": predicted.as_json() | {"steps_becoming_late": newly_late},
            "method": METHOD}


def _outcome(h: History, t: Timing, allowed: Seconds, elapsed: Seconds, late_steps: dict[str, int]) -> Outcome:
    judged, share = dossier_on_time(t, allowed, elapsed)
    mean_days, p90_days = totals_days(h, elapsed)
    return Outcome(share, judged, mean_days, p90_days, late_steps)


def _late_steps(h: History, t: Timing, budgets: np.ndarray) -> dict[str, int]:
    """Passes late against ``budgets``: completed ones whose ready→completion working time exceeds it."""
    done = (t.working >= 0) & ~h.cancelled
    took = np.where(done, h.working(h.ready, np.where(h.completed != NOT_YET, h.completed, h.ready)), 0)
    allowed = np.round(budgets * h.seconds_per_day)
    late = done & (budgets > 0) & (took > allowed)
    counts = np.bincount(h.step_element[late], minlength=len(h.elements))
    return {h.elements[e][0]: int(n) for e, n in enumerate(counts) if n}


def _saved_waiting(h: History, t: Timing, extra: Mapping[str, int]) -> np.ndarray:
    """Per pass: the waiting (seconds) a staffing change saves, by simulating each of the agency's steps twice.

    Each step of the agency is a queue served by the officials who handled it in the period; the change
    adds (or takes away) that many officials to every such queue."""
    saved = np.zeros(len(h.ready), dtype=np.float64)
    for agency, more in extra.items():
        a = h.agencies.index(agency)
        for e in np.unique(h.step_element[h.step_agency == a]):
            idx = np.flatnonzero((h.step_agency == a) & (h.step_element == e) & (t.working >= 0))
            if len(idx) == 0:
                continue
            servers = max(1, len(set(h.step_official[idx].tolist()) - {-1}))
            arrivals = h.clock.working(h.ready[idx])
            service = t.working[idx]
            before = _simulate(arrivals, service, servers)
            after = _simulate(arrivals, service, max(1, servers + more))
            saved[idx] = np.minimum(np.maximum(before - after, 0), np.maximum(t.waiting[idx], 0))
    return saved


def _simulate(arrivals: Sequence[int] | np.ndarray, service: Sequence[int] | np.ndarray, servers: int) -> np.ndarray:
    """Waiting time of each job in a first-come-first-served queue with ``servers`` servers."""
    order = np.argsort(arrivals, kind="stable")
    free = [0] * servers
    heapq.heapify(free)
    waits = np.zeros(len(order), dtype=np.float64)
    arr = np.asarray(arrivals)
    srv = np.asarray(service)
    for i in order.tolist():
        earliest = heapq.heappop(free)
        begin = max(earliest, int(arr[i]))
        waits[i] = begin - int(arr[i])
        heapq.heappush(free, begin + int(srv[i]))
    return waits

"""Where the days go: per step of a procedure, its passes, waiting and working time, and its part in lateness.

Definitions (the page and ``docs/review.md`` say the same):

- *waiting*: from the step becoming ready to its claim (to its completion when it was never claimed);
  *working*: from the claim to the completion. Both in working hours of the calendar; p50 and p90 are
  nearest-rank percentiles (a value that occurred).
- a step pass is *on time* when it was completed by its due time; an open pass already past its due time
  counts as late; an open pass not yet due is not judged.
- a dossier is *late* when it finished after its due time, or is still open past it (a dossier waiting
  for the applicant's supplement is not judged while it waits; a withdrawn one never). Its lateness (the
  working time past its due time) is shared among its passes in proportion to each pass's overrun of its
  own due time; ``lateness_share`` of a step is its part of all dossiers' lateness, and
  ``unattributed_lateness_share`` the part no step overran (budgets that add up past the legal limit).
- *variants*: the sequences of steps dossiers actually went through, most frequent first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.review_history import NOT_YET, UNJUDGED, History
from engine.working_clock import Seconds

HOUR = 3600
MAX_VARIANTS = 12


@dataclass(frozen=True)
class Spread:
    p50: float | None
    p90: float | None
    max: float | None

    def as_json(self) -> dict[str, float | None]:
        return {"p50": self.p50, "p90": self.p90, "max": self.max}


@dataclass(frozen=True)
class StepReview:
    id: str
    name: str
    passes: int
    waiting_hours: Spread
    working_hours: Spread
    on_time_share: float | None
    lateness_share: float | None
    late: int
    agencies: list[str]
    budget_days: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "passes": self.passes,
                "waiting_hours": self.waiting_hours.as_json(), "working_hours": self.working_hours.as_json(),
                "on_time_share": self.on_time_share, "lateness_share": self.lateness_share, "late": self.late,
                "agencies": self.agencies, "budget_days": self.budget_days}


@dataclass(frozen=True)
class Review:
    procedure: str
    name: str
    dossiers: int
    judged: int
    on_time_share: float | None
    mean_days: float | None
    p90_days: float | None
    unattributed_lateness_share: float | None
    steps: list[StepReview]
    variants: list[tuple[list[str], int]]
    supplement_dossiers: int
    supplement_requests: int
    loops: list[tuple[str, int]]
    by_month: list[tuple[str, int, float | None]]

    def as_json(self) -> dict[str, Any]:
        return {"procedure": self.procedure, "name": self.name, "dossiers": self.dossiers, "judged": self.judged,
                "on_time_share": self.on_time_share, "mean_days": self.mean_days, "p90_days": self.p90_days,
                "unattributed_lateness_share": self.unattributed_lateness_share,
                "steps": [s.as_json() for s in self.steps],
                "variants": [{"path": path, "count": count} for path, count in self.variants],
                "supplements": {"dossiers": self.supplement_dossiers, "requests": self.supplement_requests},
                "loops": [{"step": step, "extra_passes": extra} for step, extra in self.loops],
                "by_month": [{"month": m, "judged": n, "on_time_share": share} for m, n, share in self.by_month]}


def nearest_rank(values: Seconds | np.ndarray, q: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``q`` of the values at or below it."""
    if len(values) == 0:
        return None
    return float(np.percentile(values, q * 100, method="inverted_cdf"))


def _hours(values: np.ndarray) -> Spread:
    if len(values) == 0:
        return Spread(None, None, None)
    hours = values / HOUR
    return Spread(round(nearest_rank(hours, 0.5) or 0, 2), round(nearest_rank(hours, 0.9) or 0, 2),
                  round(float(hours.max()), 2))


def _share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else round(part / whole, 4)


@dataclass(frozen=True)
class Timing:
    """The measured facts every figure derives from, computed once per history."""

    waiting: Seconds          # per pass; -1 where not yet claimed or completed
    working: Seconds          # per pass; -1 where not completed
    step_late: np.ndarray     # per pass: bool
    step_judged: np.ndarray   # per pass: bool
    overrun: Seconds          # per pass: working seconds past its due time (0 when none)
    allowed: Seconds          # per dossier: working seconds from counting start to due time
    elapsed: Seconds          # per dossier: from counting start to finish (or now)
    judged: np.ndarray        # per dossier: bool


def measure(h: History) -> Timing:
    now = np.full(len(h.ready), h.now, dtype=np.int64)
    active = ~h.cancelled
    started = np.where(h.claimed != NOT_YET, h.claimed, h.completed)
    began = np.where(started == NOT_YET, h.ready, started)
    waiting = np.where(active & (started != NOT_YET), h.working(h.ready, began), NOT_YET)
    done = h.completed != NOT_YET
    claim = np.where(h.claimed != NOT_YET, h.claimed, h.completed)
    working = np.where(done & active, h.working(np.where(done, claim, 0), np.where(done, h.completed, 0)), NOT_YET)
    end = np.where(done, h.completed, now)
    has_due = h.step_due != NOT_YET
    late = active & has_due & (end > h.step_due)
    judged = active & has_due & (done | (now > h.step_due))
    overrun = np.where(late, h.working(np.where(has_due, h.step_due, end), end), 0)
    d_now = np.full(h.dossiers, h.now, dtype=np.int64)
    finished = h.finished != NOT_YET
    d_end = np.where(finished, h.finished, d_now)
    counting = np.where(h.counting != NOT_YET, h.counting, 0)
    has_limit = h.due != NOT_YET
    allowed = np.where(has_limit, h.working(counting, np.where(has_limit, h.due, counting)), 0)
    elapsed = h.working(counting, d_end)
    statuses = np.array(h.statuses, dtype=object)
    unjudged = np.isin(statuses, list(UNJUDGED)) | (~finished & (statuses == "waiting_supplement"))
    d_judged = has_limit & ~unjudged & (finished | (d_now > np.where(has_limit, h.due, d_now)))
    return Timing(waiting, working, late, judged, overrun, allowed, elapsed, d_judged)


def dossier_on_time(t: Timing, allowed: Seconds, elapsed: Seconds) -> tuple[int, float | None]:
    on_time = int(np.count_nonzero(t.judged & (elapsed <= allowed)))
    judged = int(np.count_nonzero(t.judged))
    return judged, _share(on_time, judged)


def totals_days(h: History, elapsed: Seconds) -> tuple[float | None, float | None]:
    finished = (h.finished != NOT_YET) & ~np.isin(np.array(h.statuses, dtype=object), list(UNJUDGED))
    days = elapsed[finished] / h.seconds_per_day
    if len(days) == 0:
        return None, None
    return round(float(days.mean()), 2), round(nearest_rank(days, 0.9) or 0, 2)


def lateness_parts(h: History, t: Timing, allowed: Seconds, elapsed: Seconds,
                   overrun: Seconds) -> tuple[np.ndarray, float]:
    """Each element's part of all dossiers' lateness, and the part no pass overran (both in seconds)."""
    lateness = np.where(t.judged, np.maximum(elapsed - allowed, 0), 0).astype(np.float64)
    per_dossier_overrun = np.bincount(h.step_dossier, weights=overrun, minlength=h.dossiers)
    weight = np.divide(lateness[h.step_dossier], per_dossier_overrun[h.step_dossier],
                       out=np.zeros(len(overrun)), where=per_dossier_overrun[h.step_dossier] > 0)
    parts = np.bincount(h.step_element, weights=overrun * weight, minlength=len(h.elements))
    unattributed = float(lateness[per_dossier_overrun == 0].sum())
    return parts, unattributed


def review(h: History) -> Review:
    t = measure(h)
    judged, on_time = dossier_on_time(t, t.allowed, t.elapsed)
    mean_days, p90_days = totals_days(h, t.elapsed)
    parts, unattributed = lateness_parts(h, t, t.allowed, t.elapsed, t.overrun)
    total_lateness = float(parts.sum()) + unattributed
    steps: list[StepReview] = []
    active = ~h.cancelled
    order = np.argsort(h.step_element, kind="stable")
    bounds = np.searchsorted(h.step_element[order], np.arange(len(h.elements) + 1))
    for e, (element_id, name) in enumerate(h.elements):
        idx = order[bounds[e]:bounds[e + 1]]
        idx = idx[active[idx]]
        waits = t.waiting[idx]
        works = t.working[idx]
        judged_here = t.step_judged[idx]
        late_here = t.step_late[idx] & judged_here
        agencies = sorted({h.agencies[a] for a in np.unique(h.step_agency[idx])})
        budgets = h.budget_days[idx]
        steps.append(StepReview(
            id=element_id, name=name, passes=len(idx), waiting_hours=_hours(waits[waits >= 0]),
            working_hours=_hours(works[works >= 0]),
            on_time_share=_share(int(np.count_nonzero(judged_here & ~late_here)), int(np.count_nonzero(judged_here))),
            lateness_share=_share(float(parts[e]), total_lateness), late=int(np.count_nonzero(late_here)),
            agencies=agencies, budget_days=float(np.median(budgets)) if len(budgets) else 0.0))
    steps.sort(key=lambda s: (-(s.lateness_share or 0), -s.passes, s.id))
    variants, loops = _paths(h)
    return Review(
        procedure=h.procedure, name=h.name, dossiers=h.dossiers, judged=judged, on_time_share=on_time,
        mean_days=mean_days, p90_days=p90_days, unattributed_lateness_share=_share(unattributed, total_lateness),
        steps=steps, variants=variants, supplement_dossiers=int(np.count_nonzero(h.supplements)),
        supplement_requests=int(h.supplements.sum()), loops=loops, by_month=_by_month(h, t))


def _by_month(h: History, t: Timing) -> list[tuple[str, int, float | None]]:
    """The on-time share of the dossiers received in each month (judged as for the whole period)."""
    months = np.array(h.months, dtype=object)
    on_time = t.judged & (t.elapsed <= t.allowed)
    out = []
    for month in sorted(set(h.months)):
        mine = months == month
        judged = int(np.count_nonzero(t.judged & mine))
        out.append((month, judged, _share(int(np.count_nonzero(on_time & mine)), judged)))
    return out


def _paths(h: History) -> tuple[list[tuple[list[str], int]], list[tuple[str, int]]]:
    """The variants (step sequences) and, per step, the passes beyond the first within a dossier.

    A dossier's sequence is summarised by two independent polynomial hashes of its elements (computed
    for all dossiers at once); equal sequences share both, and the most frequent ones are spelled out
    from one dossier each."""
    active = np.flatnonzero(~h.cancelled)
    dossier = h.step_dossier[active]
    element = h.step_element[active].astype(np.uint64) + np.uint64(1)
    if len(active) == 0:
        return [], []
    starts = np.searchsorted(dossier, np.arange(h.dossiers))
    position = np.arange(len(active)) - starts[dossier]
    keys = []
    for base in (np.uint64(1_000_003), np.uint64(998_244_353)):
        powers = np.ones(int(position.max()) + 1, dtype=np.uint64)
        key = np.zeros(h.dossiers, dtype=np.uint64)
        with np.errstate(over="ignore"):  # arithmetic modulo 2**64, as intended
            for k in range(1, len(powers)):  # a handful of positions: the longest dossier's passes
                powers[k] = powers[k - 1] * base
            np.add.at(key, dossier, element * powers[position])
        keys.append(key)
    has_steps = np.bincount(dossier, minlength=h.dossiers) > 0
    pair = np.stack(keys, axis=1)[has_steps]
    owners = np.flatnonzero(has_steps)
    _, first, counts = np.unique(pair, axis=0, return_index=True, return_counts=True)
    top = np.argsort(-counts, kind="stable")[:MAX_VARIANTS]
    ends = np.append(starts[1:], len(active))
    variants = []
    for k in top:
        d = owners[first[k]]
        seq = h.step_element[active[starts[d]:ends[d]]]
        variants.append(([h.elements[int(e)][0] for e in seq], int(counts[k])))
    pairs, pair_counts = np.unique(dossier * len(h.elements) + h.step_element[active], return_counts=True)
    extra = np.bincount(pairs % len(h.elements), weights=pair_counts - 1, minlength=len(h.elements))
    loops = sorted(((h.elements[e][0], int(n)) for e, n in enumerate(extra) if n > 0), key=lambda x: (-x[1], x[0]))
    return variants, loops

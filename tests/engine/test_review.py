"""The review of times on a generated history: figures checked against the event log, what-ifs, the XES export."""

from __future__ import annotations

import csv
import io
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from engine import models, reviewing
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.working_clock import WorkingClock
from tests.review_year import END, PROCEDURE, SLOW, START, Year, generated_year


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, _pg_database: str) -> Iterator[Year]:
    yield from generated_year(tmp_path_factory, _sqlite_template, _pg_database)


def _review(year: Year) -> Any:
    return reviewing.procedure_review(year.engine, year.world["leader"], PROCEDURE, START, END)


def test_generated_year_is_realistic(year: Year) -> None:
    s = year.summary
    assert s.dossiers > 80 and s.completions > 4 * s.dossiers
    assert s.supplements > 0  # the supplement loop ran
    assert s.slow_step == SLOW


def test_figures_match_an_independent_computation_from_the_events(year: Year) -> None:
    review = _review(year)
    cal = year.engine.calendar()
    ready: dict[int, tuple[str, datetime, datetime]] = {}
    claimed: dict[int, datetime] = {}
    completed: dict[int, datetime] = {}
    cancelled: set[int] = set()
    received = 0
    with year.engine.Session() as s:
        codes = dict(s.execute(select(models.Dossier.id, models.Dossier.received_at)
                               .where(models.Dossier.procedure_code == PROCEDURE)).all())
        for ev in s.scalars(select(models.Event).order_by(models.Event.id)):
            if ev.dossier_id not in codes:
                continue
            if ev.action == "dossier.received":
                received += 1
            elif ev.action == "step.ready":
                ready[ev.step_id] = (ev.details["element"], ev.at, datetime.fromisoformat(ev.details["due_at"]))
            elif ev.action == "step.claimed":
                claimed[ev.step_id] = ev.at
            elif ev.action == "step.completed":
                completed[ev.step_id] = ev.at
            elif ev.action == "step.cancelled":
                cancelled.add(ev.step_id)
    assert review.dossiers == received
    now = year.engine.now()
    waits: dict[str, list[int]] = defaultdict(list)
    works: dict[str, list[int]] = defaultdict(list)
    passes: dict[str, int] = defaultdict(int)
    judged: dict[str, list[bool]] = defaultdict(list)
    for step_id, (element, at, due) in ready.items():
        if step_id in cancelled:
            continue
        passes[element] += 1
        began = claimed.get(step_id, completed.get(step_id))
        if began is not None:
            waits[element].append(cal.working_seconds(at, began))
        if step_id in completed:
            works[element].append(cal.working_seconds(claimed.get(step_id, completed[step_id]), completed[step_id]))
            judged[element].append(completed[step_id] <= due)
        elif now > due:
            judged[element].append(False)
    by_id = {s.id: s for s in review.steps}
    assert set(by_id) == set(passes)
    for element, n in passes.items():
        step = by_id[element]
        assert step.passes == n
        for spread, values in ((step.waiting_hours, waits[element]), (step.working_hours, works[element])):
            hours = sorted(v / 3600 for v in values)
            assert spread.p50 == round(hours[math.ceil(0.5 * len(hours)) - 1], 2)
            assert spread.p90 == round(hours[math.ceil(0.9 * len(hours)) - 1], 2)
            assert spread.max == round(hours[-1], 2)
        assert step.on_time_share == round(sum(judged[element]) / len(judged[element]), 4)


def test_the_slowest_step_is_the_one_the_generator_made_slow(year: Year) -> None:
    review = _review(year)
    worst = review.steps[0]
    assert worst.id == SLOW
    assert worst.lateness_share > 0.5
    assert worst.waiting_hours.p90 == max(s.waiting_hours.p90 or 0 for s in review.steps)
    assert sum(s.lateness_share or 0 for s in review.steps) + (review.unattributed_lateness_share or 0) == \
        pytest.approx(1, abs=1e-3)
    assert 0.3 < review.on_time_share < 0.95  # a year with something to improve
    paths = [v for v, _ in review.variants]
    assert paths[0][:2] == ["Receive", SLOW]
    assert any(path.count(SLOW) > 1 for path in paths)  # the supplement loop, seen as a variant
    assert review.supplement_dossiers > 0 and dict(review.loops)[SLOW] > 0


def test_cutting_the_slow_step_predicts_a_lower_on_time_share(year: Year) -> None:
    review = _review(year)
    slow = next(s for s in review.steps if s.id == SLOW)
    result = reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END,
                                         [{"step": SLOW, "working_days": slow.budget_days / 2}])
    assert result["baseline"]["on_time_share"] == review.on_time_share
    assert result["predicted"]["on_time_share"] < result["baseline"]["on_time_share"]
    late = {row["step"]: row for row in result["predicted"]["steps_becoming_late"]}
    assert late[SLOW]["late_after"] > late[SLOW]["late_before"]
    assert "replayed" in result["method"]


def test_a_lower_legal_limit_predicts_a_lower_share_and_a_higher_one_a_higher_share(year: Year) -> None:
    base = _review(year).on_time_share
    lower = reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END,
                                        [{"legal_working_days": 2}])["predicted"]["on_time_share"]
    higher = reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END,
                                         [{"legal_working_days": 30}])["predicted"]["on_time_share"]
    assert lower < base < higher


def test_one_more_official_at_the_slow_agency_predicts_a_higher_on_time_share(year: Year) -> None:
    slow = next(s for s in _review(year).steps if s.id == SLOW)
    result = reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END,
                                         [{"agency": slow.agencies[0], "officials": 1}])
    assert result["predicted"]["on_time_share"] > result["baseline"]["on_time_share"]
    assert result["predicted"]["mean_days"] < result["baseline"]["mean_days"]
    assert "simulation" in result["method"]
    # Staffing another agency, whose queue is short, changes little.
    other = reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END,
                                        [{"agency": "LD", "officials": 1}])
    assert other["predicted"]["on_time_share"] - other["baseline"]["on_time_share"] < \
        result["predicted"]["on_time_share"] - result["baseline"]["on_time_share"]


@pytest.mark.parametrize("changes", [
    [], "cut", [{"step": "Nope", "working_days": 1}], [{"step": SLOW, "working_days": -1}],
    [{"step": SLOW, "working_days": 10_000}], [{"legal_working_days": 0}], [{"agency": "XX", "officials": 1}],
    [{"agency": "PCM", "officials": 0}], [{"agency": "PCM", "officials": True}], [{"speed": 2}],
    [{"legal_working_days": 3}] * 21,
])
def test_what_if_refuses_bad_changes(year: Year, changes: Any) -> None:
    with pytest.raises(InvalidInput):
        reviewing.procedure_what_if(year.engine, year.world["leader"], PROCEDURE, START, END, changes)


def test_review_is_for_leaders_designers_and_admins(year: Year) -> None:
    for who in ("officer", "clerk", "police"):
        with pytest.raises(PermissionDenied):
            reviewing.procedure_review(year.engine, year.world[who], PROCEDURE, START, END)
    assert reviewing.procedure_review(year.engine, year.world["designer"], PROCEDURE, START, END).dossiers


@pytest.mark.parametrize(("date_from", "date_to"), [
    (date(2026, 5, 1), date(2026, 4, 1)), (date(1, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(9999, 12, 31)),
])
def test_review_refuses_periods_out_of_range(year: Year, date_from: date, date_to: date) -> None:
    with pytest.raises(InvalidInput):
        reviewing.procedure_review(year.engine, year.world["leader"], PROCEDURE, date_from, date_to)


def test_unknown_procedure_is_not_found(year: Year) -> None:
    with pytest.raises(NotFound):
        reviewing.procedure_review(year.engine, year.world["leader"], "X.404", START, END)


@pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")
def test_xes_export_opens_in_pm4py_and_discovers_the_procedures_steps(year: Year, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    target = tmp_path / "log.xes"
    with target.open("w", encoding="utf-8") as out:
        traces = reviewing.export_log(year.engine, None, PROCEDURE, START, END, "xes", out)
    log = pm4py.read_xes(str(target))
    assert log["case:concept:name"].nunique() == traces == _review(year).dossiers
    steps = {s.name for s in _review(year).steps}
    assert set(log["concept:name"]) == steps
    assert set(log["lifecycle:transition"]) == {"start", "complete"}
    assert str(log["time:timestamp"].dt.tz) in ("UTC", "UTC+07:00") or log["time:timestamp"].dt.tz is not None
    net, _, _ = pm4py.discover_petri_net_inductive(pm4py.filter_event_attribute_values(
        log, "lifecycle:transition", ["complete"], level="event"))
    assert {t.label for t in net.transitions if t.label} == steps
    text = target.read_text(encoding="utf-8")
    with year.engine.Session() as s:
        names = set(s.scalars(select(models.Dossier.applicant_name)))
        numbers = set(s.scalars(select(models.Dossier.applicant_id_number)))
    assert not any(name in text for name in names)
    assert not any(number and number in text for number in numbers)
    assert "+07:00" in text


def test_csv_export_has_one_row_per_event_and_no_personal_data(year: Year) -> None:
    out = io.StringIO()
    reviewing.export_log(year.engine, None, PROCEDURE, START, END, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows and set(rows[0]) == {"case:concept:name", "concept:name", "lifecycle:transition", "time:timestamp",
                                     "org:resource", "org:group", "lienthong:element"}
    assert {r["org:resource"] for r in rows} <= {"000.00.15.H12", "PCM", "CA", "LD"}
    with year.engine.Session() as s:
        completed = s.scalar(select(models.Step.id).where(models.Step.completed_at.is_not(None)).limit(1))
        assert completed
        n = len(list(s.scalars(select(models.Step.id).join(models.Dossier)
                               .where(models.Step.completed_at.is_not(None),
                                      models.Dossier.procedure_code == PROCEDURE))))
    assert sum(r["lifecycle:transition"] == "complete" for r in rows) == n


def test_working_clock_agrees_with_the_calendar_across_holidays() -> None:
    cal = WorkingCalendar()
    clock = WorkingClock(cal, date(2025, 12, 20), date(2026, 4, 30))
    rng = random.Random(3)
    base = datetime(2025, 12, 20, tzinfo=UTC).timestamp()
    pairs = []
    for _ in range(400):
        a = int(base + rng.randrange(0, 75 * 86400))
        pairs.append((a, a + rng.randrange(0, 20 * 86400)))
    starts = np.array([a for a, _ in pairs])
    ends = np.array([b for _, b in pairs])
    got = clock.between(starts, ends)
    want = [cal.working_seconds(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in pairs]
    assert got.tolist() == want


def test_working_clock_refuses_a_span_past_its_bound() -> None:
    with pytest.raises(InvalidInput):
        WorkingClock(WorkingCalendar(), date(2000, 1, 1), date(2030, 1, 1))


def test_steps_of_a_dossier_received_between_the_two_reads_are_left_out(year: Year,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The dossiers and their steps are read by separate statements: a dossier received in between has steps
    # but no dossier row in the history; its steps are left out, never pinned on a neighbouring dossier.
    from engine import review_history

    full = reviewing.history(year.engine, year.world["leader"], PROCEDURE, START, END)
    real = review_history._arrays
    calls: list[int] = []

    def without_the_last_dossier(*args: Any, **kwargs: Any) -> dict[str, Any]:
        out = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # the dossiers' read: the newest one "not yet received"
            last = int(np.argmax(out["id"]))
            out = {k: (np.delete(v, last) if isinstance(v, np.ndarray) else v[:last] + v[last + 1:])
                   for k, v in out.items()}
        return out

    monkeypatch.setattr(review_history, "_arrays", without_the_last_dossier)
    partial = reviewing.history(year.engine, year.world["leader"], PROCEDURE, START, END)
    newest = full.dossiers - 1  # the history's dossiers are in the order of their ids
    left_out = int(np.sum(full.step_dossier == newest))
    assert left_out > 0 and partial.dossiers == full.dossiers - 1
    assert len(partial.ready) == len(full.ready) - left_out
    assert int(partial.step_dossier.max()) < partial.dossiers

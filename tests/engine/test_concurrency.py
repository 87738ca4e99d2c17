"""Several threads and processes acting on the same dossiers: nothing lost, nothing run twice."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import models
from engine.errors import Conflict, RetryableConflict
from engine.runtime import Engine
from tests.conftest import World
from tests.engine.test_runtime import APPLICANT, do, open_step


def _to_parallel_split(engine: Engine, world: World, code: str) -> Any:
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    return d


def test_two_threads_race_to_claim_one_step(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    step = open_step(engine, world["clerk"], "Receive")
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def claim(name: str) -> None:
        barrier.wait()
        try:
            engine.claim(world[name], step.id)
            results[name] = "ok"
        except Conflict:
            results[name] = "conflict"

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("clerk", "clerk2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "ok"]
    winner = next(n for n, r in results.items() if r == "ok")
    assert engine.dossier(step.dossier_code).open_steps[0].assignee_id == world[winner].id


def test_parallel_branches_completed_at_the_same_moment_both_land(engine: Engine, world: World,
                                                                   deployed: str):
    for _round in range(5):
        d = _to_parallel_split(engine, world, deployed)
        police = open_step(engine, world["police"], "Opinion_police")
        div = next(s for s in engine.inbox(world["officer2"]) if s.element_id == "Opinion_div"
               and s.dossier_id == d.id)
        engine.claim(world["police"], police.id)
        engine.claim(world["officer2"], div.id)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def complete(actor: Any, step_id: int, data: dict[str, Any], barrier: Any = barrier,
                     errors: list[BaseException] = errors) -> None:
            barrier.wait()
            for _attempt in range(5):
                try:
                    engine.complete(actor, step_id, data)
                    return
                except RetryableConflict:
                    continue
                except BaseException as exc:
                    errors.append(exc)
                    return

        threads = [threading.Thread(target=complete, args=(world["police"], police.id, {"y_kien_ca": "ok"})),
                   threading.Thread(target=complete, args=(world["officer2"], div.id, {}))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        after = engine.dossier(d.code)
        states = {s.element_id: s.state for s in after.steps}
        assert states["Opinion_police"] == states["Opinion_div"] == "completed"
        assert [s.element_id for s in after.open_steps] == ["Sign"]


def _worker(url: str, code: str, username: str, step_id: int, data: dict[str, Any],
            start: Any, out: Any) -> None:
    from engine import accounts

    eng = Engine(url)
    with eng.Session() as s:
        actor = accounts.actor_of(s, s.scalar(select(models.Official).where(models.Official.username == username)))
    start.wait()
    for _attempt in range(10):
        try:
            eng.complete(actor, step_id, data)
            out.put("ok")
            break
        except RetryableConflict:
            continue
        except Exception as exc:
            out.put(f"{type(exc).__name__}: {exc}")
            break
    eng.close()


def test_parallel_branches_completed_by_two_processes(engine: Engine, world: World, deployed: str, db_url: str):
    d = _to_parallel_split(engine, world, deployed)
    police = open_step(engine, world["police"], "Opinion_police")
    div = next(s for s in engine.inbox(world["officer2"]) if s.element_id == "Opinion_div")
    engine.claim(world["police"], police.id)
    engine.claim(world["officer2"], div.id)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(db_url, d.code, "police", police.id, {"y_kien_ca": "x"}, start, out)),
             ctx.Process(target=_worker, args=(db_url, d.code, "officer2", div.id, {}, start, out))]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
    assert sorted(out.get(timeout=5) for _ in procs) == ["ok", "ok"]
    engine.cache.clear()
    after = engine.dossier(d.code)
    assert [s.element_id for s in after.open_steps] == ["Sign"]
    with engine.Session() as s:
        completed = s.scalar(select(func.count()).select_from(models.Event).where(
            models.Event.dossier_id == d.id, models.Event.action == "step.completed"))
        rows = s.scalar(select(func.count()).select_from(models.Step).where(models.Step.dossier_id == d.id))
    assert completed == 4 and rows == 5


def test_concurrent_receipts_get_unique_codes(engine: Engine, world: World, deployed: str):
    codes: list[str] = []
    lock = threading.Lock()

    def receive(name: str) -> None:
        for _ in range(5):
            code = engine.start_dossier(world[name], deployed, APPLICANT).code
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=receive, args=(n,)) for n in ("clerk", "clerk2", "clerk", "clerk2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 20 and len(set(codes)) == 20
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 21))


@pytest.mark.parametrize("rounds", [300])
def test_three_hundred_supplement_rounds_keep_working(engine: Engine, world: World, deployed: str, rounds: int):
    from engine.store import tree_depth

    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    sizes = []

    def step(actor: Any, element: str, data: dict[str, Any] | None = None) -> None:
        found = [s for s in engine.inbox(actor) if s.element_id == element and s.dossier_id == d.id]
        assert len(found) == 1, f"round {i}: {element} not open exactly once"
        engine.claim(actor, found[0].id)
        engine.complete(actor, found[0].id, data or {}, with_steps=False)

    for i in range(rounds):
        step(world["clerk"], "Receive")
        step(world["officer"], "Examine", {"ket_qua": "bo_sung"})
        step(world["clerk"], "Supplement")
        if i in (10, rounds - 1):
            with engine.Session() as s:
                sizes.append(len(s.get(models.WorkflowState, d.id).state))
    do(engine, world["clerk"], "Receive")
    final = do(engine, world["officer"], "Examine", {"ket_qua": "khong_dat"})
    assert final.status == "refused"
    assert len([s for s in final.steps if s.element_id == "Supplement"]) == rounds
    # the stored state does not grow with the number of rounds
    assert sizes[1] < sizes[0] * 2
    with engine.Session() as s:
        state = s.get(models.WorkflowState, d.id).state
    definition = engine.definition(engine.procedure(deployed).definition_id)
    assert tree_depth(engine.codec.loads(state, definition.spec, definition.subprocess_specs)) == 0

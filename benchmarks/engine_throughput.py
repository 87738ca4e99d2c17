"""Engine throughput: the persistent engine against bare in-memory SpiffWorkflow, same diagram,
same run; then the inbox query at growing numbers of stored dossiers.

    .venv/bin/python benchmarks/engine_throughput.py [--dossiers 200] [--rounds 5]
        [--sizes 1000,10000,100000] [--database-url URL]

Prints steps/s for both and their ratio (medians over rounds that alternate the two), then inbox
latency (median, p95) per size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from engine import accounts, db, models  # noqa: E402
from engine.definitions import load_definition  # noqa: E402
from engine.expressions import make_script_engine  # noqa: E402
from engine.runtime import Engine  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "three_agencies.bpmn"
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}
FORMS = {
    "Examine": {"ket_qua": "dat", "so_tien": 1000},
    "Sign": {"so_quyet_dinh": "1/QĐ"},
    "Opinion_police": {"y_kien_ca": "Đồng ý"},
}


def bare_rate(dossiers: int) -> tuple[float, int]:
    """Steps per second of SpiffWorkflow alone, in memory, with the same sandboxed expressions."""
    definition = load_definition(DIAGRAM.read_bytes())
    steps = 0
    t0 = time.perf_counter()
    for _ in range(dossiers):
        wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())
        wf.do_engine_steps()
        while True:
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            task = ready[0]
            task.data.update(FORMS.get(task.task_spec.bpmn_id, {}))
            task.run()
            wf.do_engine_steps()
            steps += 1
    return steps / (time.perf_counter() - t0), steps


def setup_engine(url: str) -> tuple[Engine, dict[str, Any]]:
    db.upgrade(url)
    engine = Engine(url)
    now = engine.now()
    people: dict[str, Any] = {}
    with engine.transaction() as s:
        for code, name in (
            ("MC", "Bộ phận Một cửa"),
            ("PCM", "Phòng chuyên môn"),
            ("CA", "Công an"),
            ("LD", "Lãnh đạo"),
        ):
            accounts.add_agency(s, code, name, now=now)
        for user, agency, role in (
            ("clerk", "MC", "clerk"),
            ("officer", "PCM", "officer"),
            ("police", "CA", "officer"),
            ("leader", "LD", "leader"),
        ):
            people[agency] = accounts.add_official(
                s, user, full_name=user, agency_code=agency, roles=role, password="benchmark-password", now=now
            )
    engine.deploy(DIAGRAM.read_bytes())
    return engine, people


def persistent_rate(engine: Engine, people: dict[str, Any], dossiers: int) -> dict[str, float]:
    """Steps per second through the engine: each step is a claim and a complete, each one commit."""
    agency_of = {"Bộ phận Một cửa": "MC", "Phòng chuyên môn": "PCM", "Công an": "CA", "Lãnh đạo": "LD"}
    steps = 0
    complete_time = 0.0
    t0 = time.perf_counter()
    for _ in range(dossiers):
        d = engine.start_dossier(people["MC"], "T.000001", APPLICANT, with_history="open")
        open_steps = d.open_steps
        while open_steps:
            step = open_steps[0]
            actor = people[agency_of[step.agency_name]]
            engine.claim(actor, step.id)
            c0 = time.perf_counter()
            # The answer carries the steps now open (what the loop does next), as get_tasks does for
            # the bare loop; the dossier's full step list would be a read the loop never uses.
            d = engine.complete(actor, step.id, FORMS.get(step.element_id, {}), with_steps="open")
            complete_time += time.perf_counter() - c0
            steps += 1
            open_steps = d.open_steps
    total = time.perf_counter() - t0
    return {"steps": steps, "claim_complete_rate": steps / total, "complete_rate": steps / complete_time}


def fill(engine: Engine, people: dict[str, Any], target: int) -> None:
    """Generated data: dossiers with one open step each, spread over 20 agencies (bulk insert)."""
    with engine.Session() as s:
        have = s.scalar(text("SELECT count(*) FROM dossiers")) or 0
        definition_id = s.scalar(select(models.DefinitionVersion.id))
        agencies = list(s.scalars(select(models.Agency.id)))
    now = datetime.now(UTC)
    with engine.transaction() as s:
        while len(agencies) < 20:
            a = accounts.add_agency(s, f"GEN{len(agencies)}", f"Cơ quan sinh dữ liệu {len(agencies)}", now=now)
            agencies.append(a.id)
    rnd = random.Random(have)
    batch = 5000
    while have < target:
        n = min(batch, target - have)
        with engine.transaction() as s:
            rows = [
                {
                    "code": f"GEN-{have + i:08d}",
                    "definition_id": definition_id,
                    "procedure_code": "T.000001",
                    "status": "processing",
                    "applicant_name": "Người nộp",
                    "applicant_search": "nguoi nop",
                    "applicant_id_number": "",
                    "applicant_phone": "",
                    "applicant_email": "",
                    "applicant_address": "",
                    "data": {},
                    "received_at": now,
                    "counting_from": now,
                    "due_at": now + timedelta(days=5),
                    "original_due_at": now,
                    "outcome": "",
                    "lookup_secret": "",
                    "supplement_count": 0,
                    "paused_seconds": 0,
                    "apology_count": 0,
                    "state_version": 1,
                }
                for i in range(n)
            ]
            ids = list(s.scalars(insert(models.Dossier).returning(models.Dossier.id), rows))
            steps = [
                {
                    "dossier_id": did,
                    "element_id": "Examine",
                    "task_id": "00000000-0000-0000-0000-000000000000",
                    "name": "Thẩm định hồ sơ",
                    "lane": "",
                    "agency_id": rnd.choice(agencies),
                    "step_kind": "",
                    "state": rnd.choice(("ready", "ready", "claimed", "completed")),
                    "working_days": 2,
                    "ready_at": now,
                    "due_at": now + timedelta(minutes=rnd.randrange(0, 60 * 24 * 30)),
                    "note": "",
                }
                for did in ids
            ]
            s.execute(insert(models.Step), steps)
        have += n
    with engine.db.begin() as conn:
        conn.execute(text("ANALYZE"))


def time_inbox(engine: Engine, actor: Any, runs: int = 50) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        engine.inbox(actor)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="alternate bare and persistent this many times")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lienthong-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    engine, people = setup_engine(url)
    print(f"database: {engine.db.url.render_as_string(hide_password=True)}")
    bare_rate(20)  # warm up both paths
    persistent_rate(engine, people, 5)
    # Rounds that alternate the two, each measured on a share of the dossiers: a machine whose load
    # changes during the run (other work on the same cores) weighs on both sides of each ratio alike.
    rounds = max(1, args.rounds)
    share = max(1, args.dossiers // rounds)
    bare_rates, complete_rates, claim_complete_rates, steps = [], [], [], 0
    for _ in range(rounds):
        bare, n = bare_rate(share)
        persistent = persistent_rate(engine, people, share)
        bare_rates.append(bare)
        complete_rates.append(persistent["complete_rate"])
        claim_complete_rates.append(persistent["claim_complete_rate"])
        steps += n
    med = statistics.median

    def ratios(rates: list[float]) -> str:
        each = sorted(r / b for r, b in zip(rates, bare_rates, strict=True))
        return f"ratio {med(each):.2f} (rounds {each[0]:.2f}-{each[-1]:.2f})"

    print(f"{rounds} alternating rounds of {share} dossiers, medians:")
    print(f"bare SpiffWorkflow (in memory):   {med(bare_rates):8.0f} steps/s  ({steps} steps)")
    print(f"persistent engine, complete only: {med(complete_rates):8.0f} steps/s  {ratios(complete_rates)}")
    print(f"persistent engine, claim+complete:{med(claim_complete_rates):8.0f} steps/s  "
          f"{ratios(claim_complete_rates)}")
    actor = people["PCM"]
    print("inbox query (200 soonest-due open steps of one agency):")
    for size in [int(x) for x in args.sizes.split(",") if x]:
        fill(engine, people, size)
        p50, p95 = time_inbox(engine, actor)
        print(f"  {size:>9,} dossiers: median {p50:6.2f} ms   p95 {p95:6.2f} ms")
    engine.close()


if __name__ == "__main__":
    main()

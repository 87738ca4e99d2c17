"""Scale: inbox and dossier-lookup latency at 10,000, 100,000 and 1,000,000 stored dossiers (PostgreSQL).

    .venv/bin/python benchmarks/scale.py [--sizes 10000,100000,1000000] [--samples 200]
        [--pg-url URL] [--explain]

A fresh database is created (and dropped at the end). Generated data is written by the server
itself (INSERT … SELECT over generate_series, 100,000 dossiers per statement, then ANALYZE):
each dossier has three steps spread over 30 agencies and one event per fact (received, each step
ready, each step completed); 70 % are finished, the rest hold one open step (ready or claimed),
received over the last two years. At each size it times, with random dossiers and agencies:

- inbox: Engine.inbox (the 200 soonest-due open steps of an agency) and GET /api/v1/inbox;
- lookup: GET /api/v1/dossiers/<code> as an official of the receiving agency (Engine.dossier
  plus the JSON), and Engine.public_lookup (the portal's lookup by code).

The API is called in-process through Flask's test client (no sockets), so the figures are the
server's own cost. p50 and p95 in milliseconds; ``--explain`` prints EXPLAIN ANALYZE of the
inbox and lookup queries at the largest size.
"""

from __future__ import annotations

import os

os.environ.setdefault("LIENTHONG_PASSWORD_HASHING", "minimal")

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from engine import accounts, db, models, queries  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from tests.fault.harness import fresh_pg_database, percentile  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "three_agencies.bpmn"
AGENCY_COUNT = 30
CHUNK = 100_000
PASSWORD = "benchmark-password"

# One statement per table per chunk; :lo and :hi bound the generated dossier numbers, :def the
# definition version, :a0 the first generated agency id (agencies a0 … a0+29 are consecutive).
DOSSIERS_SQL = """
INSERT INTO dossiers (id, code, definition_id, procedure_code, status, applicant_name, applicant_search,
    applicant_id_number, applicant_phone, applicant_email, applicant_address, data, receiving_agency_id,
    received_by, received_at, counting_from, due_at, original_due_at, finished_at, outcome, lookup_secret,
    supplement_count, paused_at, paused_seconds, apology_count, state_version)
SELECT i, 'SC-' || lpad(i::text, 8, '0'), CAST(:def AS integer), 'T.000001',
    CASE WHEN i % 10 < 7 THEN 'returned' ELSE 'processing' END,
    'Nguyễn Văn ' || i, 'nguyen van ' || i, lpad((79000000000 + i)::text, 12, '0'), '', '', '', '{}',
    CAST(:a0 AS integer) + i % 30, NULL, r, r, r + interval '7 days', r + interval '7 days',
    CASE WHEN i % 10 < 7 THEN r + interval '5 days' END,
    CASE WHEN i % 10 < 7 THEN 'returned' ELSE '' END, 'ABC123', 0, NULL, 0, 0, 4
FROM (SELECT i, now() - ((i * 7919) % (730 * 1440)) * interval '1 minute' AS r
      FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i) g
"""

STEPS_SQL = """
INSERT INTO steps (id, dossier_id, element_id, task_id, name, lane, agency_id, step_kind, state, assignee_id,
    working_days, ready_at, claimed_at, completed_at, completed_by, due_at, overdue_marked_at, warned_at,
    form_data, note, timeliness)
SELECT i * 3 + k, i, (ARRAY['Receive', 'Examine', 'Sign'])[k + 1], '00000000-0000-0000-0000-000000000000',
    (ARRAY['Tiếp nhận hồ sơ', 'Thẩm định hồ sơ', 'Ký quyết định'])[k + 1], '',
    CAST(:a0 AS integer) + (i * 7 + k * 11 + i / 10) % 30, '', st, NULL, 1,
    d.received_at + k * interval '1 day', NULL,
    CASE WHEN st = 'completed' THEN d.received_at + (k + 1) * interval '1 day' END, NULL,
    d.received_at + (k + 1) * interval '1 day' + ((i * 31) % 600) * interval '1 minute', NULL, NULL,
    NULL, '', CASE WHEN st = 'completed' THEN 'on_time' END
FROM (SELECT d.id AS i, d.received_at, k,
             CASE WHEN d.status = 'returned' OR k < 2 THEN 'completed'
                  WHEN d.id % 3 = 0 THEN 'claimed' ELSE 'ready' END AS st
      FROM dossiers d CROSS JOIN generate_series(0, 2) AS k
      WHERE d.id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)) d
"""

EVENTS_SQL = """
INSERT INTO events (dossier_id, step_id, actor_id, action, at, details)
SELECT id, NULL::integer, NULL::integer, 'dossier.received', received_at, '{}'::json FROM dossiers
WHERE id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)
UNION ALL
SELECT dossier_id, id, NULL, 'step.ready', ready_at, '{}' FROM steps
WHERE dossier_id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)
UNION ALL
SELECT dossier_id, id, NULL, 'step.completed', completed_at, '{}' FROM steps
WHERE dossier_id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer) AND state = 'completed'
"""

# Who takes part (engine.queries.visible_condition reads it): the desk and each step's agency.
PARTICIPATION_SQL = """
INSERT INTO dossier_agencies (dossier_id, agency_id, received_at, applicant_search)
SELECT id, receiving_agency_id, received_at, applicant_search FROM dossiers
WHERE id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)
UNION
SELECT s.dossier_id, s.agency_id, d.received_at, d.applicant_search FROM steps s JOIN dossiers d ON d.id = s.dossier_id
WHERE s.dossier_id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)
"""


def prepare(url: str) -> tuple[Engine, list[accounts.Actor], int]:
    """Schema, 30 agencies (the diagram's four first), one clerk per agency, the diagram."""
    db.upgrade(url)
    engine = Engine(url)
    now = engine.now()
    names = [("MC", "Bộ phận Một cửa"), ("PCM", "Phòng chuyên môn"), ("CA", "Công an tỉnh"), ("LD", "Lãnh đạo")]
    names += [(f"CQ{n:02d}", f"Cơ quan {n}") for n in range(len(names), AGENCY_COUNT)]
    actors = []
    with engine.transaction() as s:
        for code, name in names:
            accounts.add_agency(s, code, name, now=now)
        for code, _name in names:
            actors.append(accounts.add_official(s, f"u.{code.lower()}", full_name=f"Cán bộ {code}",
                                                agency_code=code, roles="clerk", password=PASSWORD, now=now))
    engine.deploy(DIAGRAM.read_bytes(), filename=DIAGRAM.name)
    with engine.Session() as s:
        ids = list(s.scalars(select(models.Agency.id).order_by(models.Agency.id)))
    assert ids == list(range(ids[0], ids[0] + AGENCY_COUNT)), "generated agencies must have consecutive ids"
    return engine, sorted(actors, key=lambda a: a.agency_id), ids[0]


def fill(engine: Engine, have: int, target: int, a0: int) -> float:
    """Grow the stored dossiers from ``have`` to ``target``; seconds taken (ANALYZE included)."""
    t0 = time.perf_counter()
    with engine.Session() as s:
        definition_id = s.scalar(select(models.DefinitionVersion.id))
    lo = have + 1
    while lo <= target:
        hi = min(lo + CHUNK - 1, target)
        params = {"lo": lo, "hi": hi, "def": definition_id, "a0": a0}
        with engine.db.begin() as conn:
            conn.execute(text(DOSSIERS_SQL), params)
            conn.execute(text(STEPS_SQL), params)
            conn.execute(text(EVENTS_SQL), params)
            conn.execute(text(PARTICIPATION_SQL), params)
        lo = hi + 1
    with engine.db.begin() as conn:
        for table in ("dossiers", "steps", "events"):  # dossier_agencies has no id sequence
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE dossiers"))
        conn.execute(text("VACUUM ANALYZE steps"))
        conn.execute(text("VACUUM ANALYZE events"))
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any], samples: int) -> tuple[float, float]:
    fn()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return percentile(out, 0.5), percentile(out, 0.95)


def measure(engine: Engine, client: Any, tokens: dict[int, str], actors: list[accounts.Actor], a0: int,
            size: int, samples: int) -> dict[str, tuple[float, float]]:
    rnd = random.Random(size)
    by_agency = {a.agency_id: a for a in actors}

    def inbox() -> None:
        steps = engine.inbox(rnd.choice(actors))
        assert steps

    def api_inbox() -> None:
        actor = rnd.choice(actors)
        r = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {tokens[actor.agency_id]}"})
        assert r.status_code == 200 and r.get_json(), r.status_code

    def api_dossier() -> None:
        i = rnd.randint(1, size)
        agency = a0 + i % AGENCY_COUNT  # the receiving agency
        r = client.get(f"/api/v1/dossiers/SC-{i:08d}", headers={"Authorization": f"Bearer {tokens[agency]}"})
        assert r.status_code == 200 and len(r.get_json()["steps"]) == 3, r.status_code

    def engine_dossier() -> None:
        i = rnd.randint(1, size)
        d = engine.dossier(f"SC-{i:08d}", by_agency[a0 + i % AGENCY_COUNT])
        assert len(d.steps) == 3

    def public() -> None:
        i = rnd.randint(1, size)
        assert engine.public_lookup(f"SC-{i:08d}")["code"] == f"SC-{i:08d}"

    return {"inbox (Engine.inbox)": timed(inbox, samples), "GET /api/v1/inbox": timed(api_inbox, samples),
            "Engine.dossier": timed(engine_dossier, samples),
            "GET /api/v1/dossiers/<code>": timed(api_dossier, samples),
            "Engine.public_lookup": timed(public, samples)}


def explain(engine: Engine, actor: accounts.Actor, code: str) -> None:
    from sqlalchemy.dialects import postgresql

    def show(label: str, stmt: Any) -> None:
        sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        with engine.db.connect() as conn:
            plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)))
        print(f"--- {label}\n{plan}")

    show("inbox", queries._step_select().where(models.Step.agency_id == actor.agency_id, queries.OPEN_SQL)
         .order_by(models.Step.agency_id, models.Step.due_at, models.Step.id).limit(200))
    with engine.Session() as s:
        dossier_id = s.scalar(select(models.Dossier.id).where(models.Dossier.code == code))
    show("steps of a dossier", queries._step_select().where(models.Step.dossier_id == dossier_id)
         .order_by(models.Step.ready_at, models.Step.id))
    ev = models.Event.__table__.c
    show("events of a dossier", select(ev.id, ev.action, ev.at, ev.actor_id, models.Official.full_name, ev.step_id,
                                       ev.details).outerjoin(models.Official, models.Official.id == ev.actor_id)
         .where(ev.dossier_id == dossier_id).order_by(ev.id))
    show("can_view", select(models.Dossier.id).where(models.Dossier.id == dossier_id,
                                                     queries.visible_condition(actor)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("LIENTHONG_TEST_DATABASE_URL")
                        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(",") if x)

    from webui import create_app

    with tempfile.TemporaryDirectory(prefix="lienthong-scale-") as tmp, \
            fresh_pg_database(args.pg_url, "lienthong_scale") as url:
        engine, actors, a0 = prepare(url)
        app = create_app({"ENGINE": engine, "DATABASE_URL": url, "SECRET_KEY": "bench", "DATA_DIR": tmp})
        client = app.test_client()
        tokens = {}
        for actor in actors:
            r = client.post("/api/v1/tokens", json={"username": actor.username, "password": PASSWORD})
            tokens[actor.agency_id] = r.get_json()["token"]
        have = 0
        print(f"PostgreSQL, {AGENCY_COUNT} agencies, 3 steps and ~6 events per dossier; "
              f"{args.samples} samples per figure, ms (p50 / p95)")
        for size in sizes:
            seconds = fill(engine, have, size, a0)
            have = size
            with engine.Session() as s:
                open_steps = s.scalar(text("SELECT count(*) FROM steps WHERE state IN ('ready', 'claimed')"))
                events = s.scalar(text("SELECT count(*) FROM events"))
                db_size = s.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
            print(f"{size:>10,} dossiers ({open_steps:,} open steps, {events:,} events, {db_size}; "
                  f"generated in {seconds:.0f} s)", flush=True)
            for label, (p50, p95) in measure(engine, client, tokens, actors, a0, size, args.samples).items():
                print(f"    {label:30} {p50:7.2f} / {p95:7.2f}", flush=True)
        if args.explain:
            explain(engine, actors[5], f"SC-{sizes[-1] // 2:08d}")
        engine.close()


if __name__ == "__main__":
    main()

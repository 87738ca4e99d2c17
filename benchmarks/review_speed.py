"""Review of times at a province's scale: a year of one procedure (100,000 dossiers) on PostgreSQL.

    .venv/bin/python benchmarks/review_speed.py [--dossiers 100000] [--rounds 3] [--pg-url URL]

A fresh database is created (and dropped at the end). The server writes the data itself (INSERT …
SELECT over generate_series): the dossiers of one procedure received over the last year, each with
six steps (the diagram's own, one after another; ready, claimed and completed at spread-out times, 90 %
of dossiers finished, the rest with one step open). Then it times, as a leader would ask them, the
median of ``--rounds`` calls:

- review: ``reviewing.procedure_review`` for the year (the API's and page's figures);
- what-if (budget): one step's budget halved, the history replayed;
- what-if (staffing): one more official at the slowest agency, the queues simulated;
- export: the year's XES event log written to a temporary file.

Wall-clock time is what a leader waits; the client's CPU time shows how much of it is Python (the
rest is the database server and, on a busy machine, waiting for a core).
"""

from __future__ import annotations

import os

os.environ.setdefault("LIENTHONG_PASSWORD_HASHING", "minimal")

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from engine import accounts, db, reviewing  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from tests.fault.harness import fresh_pg_database  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "three_agencies.bpmn"
PROCEDURE = "T.000001"
STEPS = 6
CHUNK = 50_000

DOSSIERS_SQL = """
INSERT INTO dossiers (id, code, definition_id, procedure_code, status, applicant_name, applicant_search,
    applicant_id_number, applicant_phone, applicant_email, applicant_address, data, receiving_agency_id,
    received_by, received_at, counting_from, due_at, original_due_at, finished_at, outcome, lookup_secret,
    supplement_count, paused_at, paused_seconds, apology_count, state_version)
SELECT i, 'RV-' || lpad(i::text, 8, '0'), CAST(:def AS integer), :proc,
    CASE WHEN i % 10 < 9 THEN 'returned' ELSE 'processing' END,
    'Nguyễn Văn ' || i, 'nguyen van ' || i, '', '', '', '', '{}', CAST(:a0 AS integer), NULL, r, r,
    r + interval '7 days', r + interval '7 days',
    CASE WHEN i % 10 < 9 THEN r + interval '6 days' + ((i * 13) % 4000) * interval '1 minute' END,
    CASE WHEN i % 10 < 9 THEN 'returned' ELSE '' END, 'ABC123', (i % 17 = 0)::int, NULL, 0, 0, 1
FROM (SELECT i, now() - interval '1 year' + ((i * 7919) % (360 * 1440)) * interval '1 minute' AS r
      FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i) g
"""

STEPS_SQL = """
INSERT INTO steps (id, dossier_id, element_id, task_id, name, lane, agency_id, step_kind, state, assignee_id,
    working_days, ready_at, claimed_at, completed_at, completed_by, due_at, overdue_marked_at, warned_at,
    form_data, note, timeliness)
SELECT i * 10 + k, i, (ARRAY['Receive', 'Examine', 'Opinion_police', 'Opinion_div', 'Sign', 'Return'])[k + 1],
    '00000000-0000-0000-0000-000000000000',
    (ARRAY['Tiếp nhận, chuyển hồ sơ', 'Thẩm định hồ sơ', 'Công an cho ý kiến', 'Phòng tổng hợp ý kiến',
           'Ký quyết định', 'Trả kết quả'])[k + 1], '',
    CAST(:a0 AS integer) + k % 4, '', st, NULL, 1, ready, CASE WHEN st <> 'ready' THEN ready + wait END,
    CASE WHEN st = 'completed' THEN ready + wait + work END, NULL, ready + interval '1 day', NULL, NULL, NULL, '',
    NULL
FROM (SELECT d.id AS i, k, d.received_at + k * interval '1 day' AS ready,
             ((d.id * 37 + k * 101) % 900) * interval '1 minute' AS wait,
             ((d.id * 53 + k * 71) % 600) * interval '1 minute' AS work,
             CASE WHEN d.status = 'returned' OR k < :steps - 1 THEN 'completed'
                  WHEN d.id % 2 = 0 THEN 'claimed' ELSE 'ready' END AS st
      FROM dossiers d CROSS JOIN generate_series(0, :steps - 1) AS k
      WHERE d.id BETWEEN CAST(:lo AS integer) AND CAST(:hi AS integer)) d
"""


def prepare(url: str) -> tuple[Engine, accounts.Actor, int, int]:
    db.upgrade(url)
    engine = Engine(url)
    now = engine.now()
    with engine.transaction() as s:
        for code, name in (("000.00.15.H12", "Bộ phận Một cửa"), ("PCM", "Phòng chuyên môn"), ("CA", "Công an tỉnh"),
                           ("LD", "Lãnh đạo")):
            accounts.add_agency(s, code, name, now=now)
        leader = accounts.add_official(s, "lanhdao", full_name="Lãnh đạo", agency_code="LD", roles="leader",
                                       password="benchmark-password", now=now)
    result = engine.deploy(DIAGRAM.read_bytes(), filename=DIAGRAM.name)
    with engine.Session() as s:
        a0 = s.execute(text("SELECT min(id) FROM agencies")).scalar_one()
    return engine, leader, result.definition_id, a0


def fill(engine: Engine, count: int, definition_id: int, a0: int) -> float:
    started = time.perf_counter()
    with engine.db.begin() as conn:
        for lo in range(1, count + 1, CHUNK):
            hi = min(count, lo + CHUNK - 1)
            params = {"lo": lo, "hi": hi, "def": definition_id, "a0": a0, "proc": PROCEDURE, "steps": STEPS}
            conn.execute(text(DOSSIERS_SQL), params)
            conn.execute(text(STEPS_SQL), params)
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Median wall-clock seconds and median CPU seconds of this process (the server's CPU is not in it)."""
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("PG_TEST_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    with fresh_pg_database(args.pg_url, prefix="lienthong_review") as url:
        engine, leader, definition_id, a0 = prepare(url)
        seconds = fill(engine, args.dossiers, definition_id, a0)
        print(f"filling {args.dossiers:,} dossiers × {STEPS} steps: {seconds:.1f} s")
        today = engine.calendar().localize(engine.now()).date()
        start = today - timedelta(days=366)
        review = reviewing.procedure_review(engine, leader, PROCEDURE, start, today)
        assert review.dossiers == args.dossiers, review.dossiers
        slow = review.steps[0]
        rows = [
            ("review (year, one procedure)", lambda: reviewing.procedure_review(engine, leader, PROCEDURE, start,
                                                                                 today)),
            ("what-if: a step's budget halved", lambda: reviewing.procedure_what_if(
                engine, leader, PROCEDURE, start, today, [{"step": slow.id, "working_days": slow.budget_days / 2}])),
            ("what-if: one more official", lambda: reviewing.procedure_what_if(
                engine, leader, PROCEDURE, start, today, [{"agency": slow.agencies[0], "officials": 1}])),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "log.xes"

            def export() -> None:
                with target.open("w", encoding="utf-8") as out:
                    reviewing.export_log(engine, leader, PROCEDURE, start, today, "xes", out)

            rows.append(("XES export of the year", export))
            print(f"{'operation':<36} {'wall (s)':>9} {'client CPU (s)':>15}   median of {args.rounds}")
            for label, fn in rows:
                wall, cpu = timed(fn, args.rounds)
                print(f"{label:<36} {wall:9.2f} {cpu:15.2f}")
            print(f"XES file: {target.stat().st_size / 1e6:.0f} MB")
        engine.close()


if __name__ == "__main__":
    main()

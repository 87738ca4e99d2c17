"""What one statement costs: SQLAlchemy's ``Connection.execute`` against ``engine.prepared.Prepared``
(the same Core statement, compiled once, run on the driver's cursor) and the bare driver, same run.

    .venv/bin/python benchmarks/statement_cost.py [--repeat 20000] [--database-url URL]

Reads one step row by id (22 columns: datetimes, JSON, a decimal) and one id alone; prints
microseconds per statement, medians of 3 rounds that alternate the three.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine_throughput  # noqa: E402
from sqlalchemy import bindparam, select  # noqa: E402

from engine import models  # noqa: E402
from engine.prepared import Prepared  # noqa: E402

_STEPS = models.Step.__table__


def per_call(fn: object, repeat: int) -> float:
    t0 = time.perf_counter()
    for i in range(repeat):
        fn(i)  # type: ignore[operator]
    return (time.perf_counter() - t0) / repeat * 1e6


def measure(engine: object, stmt: object, repeat: int) -> dict[str, float]:
    """Medians of 3 alternating rounds: microseconds per statement, three ways."""
    db: Any = engine.db  # type: ignore[attr-defined]
    prepared = Prepared(stmt)
    sql = str(stmt.compile(dialect=db.dialect))  # type: ignore[attr-defined]
    rounds: dict[str, list[float]] = {"Connection.execute": [], "Prepared": [], "driver alone": []}
    with db.connect() as conn:
        driver = conn.connection.dbapi_connection

        def raw(i: int) -> None:
            cursor = driver.cursor()
            cursor.execute(sql, (i % 50 + 1,) if db.dialect.positional else {"step_id": i % 50 + 1})
            cursor.fetchone()
            cursor.close()

        for _ in range(3):
            rounds["Connection.execute"].append(per_call(
                lambda i: conn.execute(stmt, {"step_id": i % 50 + 1}).first(), repeat))
            rounds["Prepared"].append(per_call(
                lambda i: prepared.execute(conn, {"step_id": i % 50 + 1}).first(), repeat))
            rounds["driver alone"].append(per_call(raw, repeat))
    return {k: statistics.median(v) for k, v in rounds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='lienthong-bench-')}/bench.sqlite"
    engine, people = engine_throughput.setup_engine(url)
    engine_throughput.persistent_rate(engine, people, 10)  # some dossiers and steps to read
    print(f"database: {engine.db.url.render_as_string(hide_password=True)}")
    for label, stmt in (("step row by id", select(_STEPS).where(_STEPS.c.id == bindparam("step_id"))),
                        ("id alone", select(_STEPS.c.id).where(_STEPS.c.id == bindparam("step_id")))):
        figures = measure(engine, stmt, args.repeat)
        print(f"{label}: " + ", ".join(f"{k} {v:.1f} µs" for k, v in figures.items()))
    engine.close()


if __name__ == "__main__":
    main()

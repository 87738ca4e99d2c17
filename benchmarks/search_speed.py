"""Dossier search latency on a large generated database, per kind of query and kind of official.

    .venv/bin/python benchmarks/search_speed.py [--dossiers N] [--runs 40]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--keep]

With --database-url (a PostgreSQL server), a fresh database is created beside the given one and
dropped afterwards (unless --keep); N defaults to 1,000,000 there and to 100,000 on SQLite (a
temporary file). Dossiers are bulk-inserted (COPY on PostgreSQL), each received by one of 20 desks
with a step at one of 30 other agencies, names drawn from common Vietnamese ones. Prints p50/p95
latency in milliseconds for each query kind, as a desk clerk, a leader of another agency and an admin.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import accounts, db, models  # noqa: E402
from engine.runtime import Engine, search_key  # noqa: E402
from engine.search import SearchQuery, search  # noqa: E402

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Hoàng", "Kim", "Thu", "Gia",
           "Bảo", "Anh", "Công"]
GIVEN = ["An", "Anh", "Bình", "Cường", "Dũng", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Quân",
         "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Tùng", "Uyên", "Việt", "Yến"]
STATUSES = ["processing"] * 5 + ["completed"] * 3 + ["returned", "waiting_supplement", "received", "refused"]
DESKS, OTHERS, PROCEDURES = 20, 30, 8
START = datetime(2024, 1, 1, 1, 0, tzinfo=UTC)
SPAN_DAYS = 730
PASSWORD = "bench-password"


def setup(engine: Engine) -> dict[str, Any]:
    """Agencies, one definition version per procedure, and the three officials whose searches are timed."""
    now = engine.now()
    with engine.transaction() as s:
        for i in range(DESKS):
            accounts.add_agency(s, f"DESK{i:02d}", f"Bộ phận Một cửa {i}", now=now)
        for i in range(OTHERS):
            accounts.add_agency(s, f"AG{i:02d}", f"Cơ quan {i}", now=now)
        clerk = accounts.add_official(s, "clerk", full_name="Clerk", agency_code="DESK03", roles="clerk",
                                      password=PASSWORD, now=now)
        leader = accounts.add_official(s, "leader", full_name="Leader", agency_code="AG07", roles="leader",
                                       password=PASSWORD, now=now)
        admin = accounts.add_official(s, "admin", full_name="Admin", agency_code="DESK00", roles="admin",
                                      password=PASSWORD, now=now)
        for p in range(PROCEDURES):
            s.add(models.DefinitionVersion(procedure_code=f"P.{p:06d}", version=1, name=f"Thủ tục {p}",
                                           process_id=f"Process_{p}", filename="", bpmn=b"<x/>", sha256=f"{p:064d}",
                                           legal_working_days=5, reduced_working_days=None, metadata_json={},
                                           decision_number="", decision_date=None, deployed_by=None,
                                           deployed_at=now))
    with engine.Session() as s:
        ids = dict(s.execute(text("SELECT code, id FROM agencies")).all())
        versions = [r[0] for r in s.execute(text("SELECT id FROM definition_versions ORDER BY id")).all()]
    return {"clerk": clerk, "leader": leader, "admin": admin, "agencies": ids, "versions": versions}


def rows(n: int, ids: dict[str, int], versions: list[int], sqlite: bool) -> Iterator[tuple[tuple[Any, ...], ...]]:
    """(dossier row, two step rows) per dossier; times as the dialect stores them."""
    rnd = random.Random(766)

    def t(value: datetime) -> Any:
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

    desks = [ids[f"DESK{i:02d}"] for i in range(DESKS)]
    others = [ids[f"AG{i:02d}"] for i in range(OTHERS)]
    per_day: dict[tuple[int, str], int] = {}
    for i in range(1, n + 1):
        received = START + timedelta(seconds=int(SPAN_DAYS * 86400 * i / n))
        desk = i % DESKS
        day = received.strftime("%y%m%d")
        seq = per_day[(desk, day)] = per_day.get((desk, day), 0) + 1
        name = f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLES)} {rnd.choice(GIVEN)}"
        status = rnd.choice(STATUSES)
        finished = received + timedelta(days=5) if status in ("completed", "returned", "refused") else None
        due = received + timedelta(days=7)
        p = rnd.randrange(PROCEDURES)
        dossier = (i, f"DESK{desk:02d}-{day}-{seq:04d}", versions[p], f"P.{p:06d}", status, name, search_key(name),
                   f"{79_000_000_000 + i:012d}", "", "", "", "{}", desks[desk], None, t(received), t(received),
                   t(due), t(due), t(finished) if finished else None, status if finished else "", "A1B2C3", 0, None,
                   0, 0, 1)
        other = others[(i * 7) % OTHERS]
        ready = received + timedelta(hours=4)
        steps = ((2 * i - 1, i, "Receive", str(uuid.UUID(int=2 * i - 1)), "Tiếp nhận", "desk", desks[desk],
                  "receive", "completed", 0.5, t(received), t(ready), ""),
                 (2 * i, i, "Examine", str(uuid.UUID(int=2 * i)), "Thẩm định", "other", other, "examine",
                  "completed" if finished else "ready", 3, t(ready), t(ready + timedelta(days=3)), ""))
        yield dossier, steps


DOSSIER_COLUMNS = ("id", "code", "definition_id", "procedure_code", "status", "applicant_name", "applicant_search",
                   "applicant_id_number", "applicant_phone", "applicant_email", "applicant_address", "data",
                   "receiving_agency_id", "received_by", "received_at", "counting_from", "due_at",
                   "original_due_at", "finished_at", "outcome", "lookup_secret", "supplement_count", "paused_at",
                   "paused_seconds", "apology_count", "state_version")
STEP_COLUMNS = ("id", "dossier_id", "element_id", "task_id", "name", "lane", "agency_id", "step_kind", "state",
                "working_days", "ready_at", "due_at", "note")


def fill(engine: Engine, n: int, ctx: dict[str, Any]) -> float:
    """Bulk-insert ``n`` dossiers (COPY on PostgreSQL, executemany on SQLite); returns seconds taken."""
    sqlite = engine.db.dialect.name == "sqlite"
    t0 = time.perf_counter()
    raw = engine.db.raw_connection()
    try:
        cur = raw.cursor()
        batch_d: list[tuple[Any, ...]] = []
        batch_s: list[tuple[Any, ...]] = []

        def flush() -> None:
            if sqlite:
                cur.executemany(f"INSERT INTO dossiers ({', '.join(DOSSIER_COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(DOSSIER_COLUMNS))})", batch_d)
                cur.executemany(f"INSERT INTO steps ({', '.join(STEP_COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(STEP_COLUMNS))})", batch_s)
            else:
                with cur.copy(f"COPY dossiers ({', '.join(DOSSIER_COLUMNS)}) FROM STDIN") as copy:
                    for r in batch_d:
                        copy.write_row(r)
                with cur.copy(f"COPY steps ({', '.join(STEP_COLUMNS)}) FROM STDIN") as copy:
                    for r in batch_s:
                        copy.write_row(r)
            batch_d.clear()
            batch_s.clear()

        if sqlite:
            cur.execute("BEGIN")
        for dossier, steps in rows(n, ctx["agencies"], ctx["versions"], sqlite):
            batch_d.append(dossier)
            batch_s.extend(steps)
            if len(batch_d) >= 50_000:
                flush()
                print(f"  … {dossier[0]:,} dossiers", file=sys.stderr, flush=True)
        if batch_d:
            flush()
        # Who takes part (the visibility rule reads it): the desk and each step's agency.
        cur.execute("INSERT INTO dossier_agencies (dossier_id, agency_id, received_at, applicant_search) "
                    "SELECT id, receiving_agency_id, received_at, applicant_search FROM dossiers "
                    "WHERE receiving_agency_id IS NOT NULL "
                    "UNION SELECT s.dossier_id, s.agency_id, d.received_at, d.applicant_search FROM steps s "
                    "JOIN dossiers d ON d.id = s.dossier_id WHERE true "  # WHERE: SQLite's upsert parse
                    "ON CONFLICT DO NOTHING")
        if sqlite:
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            raw.commit()
            for table in ("dossiers", "steps", "agencies", "dossier_agencies"):
                cur.execute(f"ANALYZE {table}")
            raw.commit()
            cur.execute("SELECT setval('dossiers_id_seq', (SELECT max(id) FROM dossiers))")
            cur.execute("SELECT setval('steps_id_seq', (SELECT max(id) FROM steps))")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - t0


def queries(n: int) -> dict[str, list[SearchQuery]]:
    """Twenty or so varied queries per kind, drawn like the data (same seed for every run)."""
    rnd = random.Random(2025)
    fake_ids = {f"DESK{i:02d}": i for i in range(DESKS)} | {f"AG{i:02d}": i for i in range(OTHERS)}
    sample = [d for d, _steps in itertools.islice(rows(n, fake_ids, list(range(PROCEDURES)), True), 5000)]
    picks = [rnd.choice(sample) for _ in range(20)]
    month = [date(2024 + m // 12, m % 12 + 1, 1) for m in rnd.sample(range(24), 20)]
    return {
        "code (exact)": [SearchQuery(text=p[1]) for p in picks],
        "ID number": [SearchQuery(text=p[7]) for p in picks],
        "full name, no diacritics": [SearchQuery(text=p[6]) for p in picks],
        "name prefix (2 words)": [SearchQuery(text=" ".join(p[6].split()[:2])) for p in picks],
        "status": [SearchQuery(status=rnd.choice(["processing", "waiting_supplement", "received"])) for _ in picks],
        "procedure + month": [SearchQuery(procedure=f"P.{rnd.randrange(PROCEDURES):06d}", date_from=m,
                                          date_to=m + timedelta(days=27)) for m in month],
        "name + status + dates": [SearchQuery(text=" ".join(p[6].split()[:2]), status="processing",
                                              date_from=date(2024, 1, 1), date_to=date(2025, 12, 31)) for p in picks],
    }


def time_queries(engine: Engine, actor: Any, batch: list[SearchQuery], runs: int) -> tuple[float, float, float]:
    """(p50, p95 in ms, mean hits per page) of ``runs`` searches cycling through ``batch``."""
    cal = engine.calendar()
    times, hits = [], []
    with engine.Session() as s:
        search(s, actor, batch[0], cal)  # warm the connection and plan cache
        for i in range(runs):
            t0 = time.perf_counter()
            page = search(s, actor, batch[i % len(batch)], cal)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(len(page.hits))
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], statistics.fmean(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--dossiers", type=int, default=0)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the generated PostgreSQL database")
    args = parser.parse_args()
    admin_engine = None
    name = ""
    tmp = None
    if args.database_url:
        n = args.dossiers or 1_000_000
        name = f"lienthong_bench_search_{os.getpid()}"
        admin_engine = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    else:
        n = args.dossiers or 100_000
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/search.sqlite"
    try:
        db.upgrade(url)
        engine = Engine(url)
        ctx = setup(engine)
        print(f"{engine.db.dialect.name}: generating {n:,} dossiers, {2 * n:,} steps …", file=sys.stderr)
        seconds = fill(engine, n, ctx)
        print(f"database: {engine.db.dialect.name}; dossiers: {n:,}; steps: {2 * n:,}; "
              f"bulk insert: {seconds:.0f} s; runs per cell: {args.runs}")
        print(f"{'query':<28} {'official':<22} {'p50 ms':>8} {'p95 ms':>8} {'hits/page':>10}")
        for kind, batch in queries(n).items():
            for who, label in (("clerk", "desk clerk (1/20)"), ("leader", "leader, other agency"),
                               ("admin", "admin (all)")):
                p50, p95, hits = time_queries(engine, ctx[who], batch, args.runs)
                print(f"{kind:<28} {label:<22} {p50:>8.2f} {p95:>8.2f} {hits:>10.1f}", flush=True)
        engine.close()
    finally:
        if admin_engine is not None:
            if not args.keep:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()

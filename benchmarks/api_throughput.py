"""API throughput: steps per second through gunicorn and the JSON API, on SQLite and PostgreSQL,
beside the bare in-memory SpiffWorkflow rate on the same diagram measured in the same run.

    .venv/bin/python benchmarks/api_throughput.py [--clients 1,4] [--dossiers 30] [--workers N]
        [--threads N] [--pg-url URL | --no-postgres] [--profile [--profile-dossiers 40]]

gunicorn runs with the deployment's settings (webui/gunicorn_conf.py: gthread, two workers per
core, two threads each); --workers and --threads override them.

Each client thread is an office with one official per agency: it receives a dossier (POST
/dossiers), reads it (GET /dossiers/<code>?include=open_steps), then claims and completes every
step (POST /steps/<id>/complete?include=open_steps: the response lists the steps open after the
completion, what the office does next, and leaves out the full step list and the event history it
does not read) until the dossier is returned: six steps of tests/data/three_agencies.bpmn, with
its parallel split. Every client thread keeps one keep-alive connection (a minimal HTTP/1.1 client,
as wrk is: the load generator shares the 2 cores with the server). Tokens are issued before timing
starts.
A "step" is one claim plus one complete; the figure counts the create and the read too, as
spiff-arena's figure (~4.5 tasks/s, create + run + list + complete over HTTP on SQLite, see
/work/shared/SPIFFWORKFLOW-NOTES.md) does.

``--profile`` runs the same loop in this process through Flask's test client (no gunicorn, no
sockets) under pyinstrument, and prints where server time goes.
"""

from __future__ import annotations

import os

os.environ.setdefault("LIENTHONG_PASSWORD_HASHING", "minimal")  # officials are created by the hundred; not timed

import argparse
import importlib.util
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import orjson  # noqa: E402
from engine_throughput import DIAGRAM, FORMS, bare_rate  # noqa: E402

from engine import accounts, db  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from tests.fault.harness import (  # noqa: E402
    BIN,
    HOST,
    ApiClient,
    Process,
    free_port,
    fresh_pg_database,
    server_env,
    wait_ready,
)

SPIFF_ARENA = 4.5  # tasks/s over HTTP, one client (SPIFFWORKFLOW-NOTES.md)
PASSWORD = "benchmark-password"
AGENCIES = {"MC": ("Bộ phận Một cửa", "clerk"), "PCM": ("Phòng chuyên môn", "officer"),
            "CA": ("Công an tỉnh", "officer"), "LD": ("Lãnh đạo", "leader")}
ELEMENTS = {"Tiếp nhận, chuyển hồ sơ": "Receive", "Thẩm định hồ sơ": "Examine",
            "Công an cho ý kiến": "Opinion_police", "Phòng tổng hợp ý kiến": "Opinion_div",
            "Ký quyết định": "Sign", "Trả kết quả": "Return"}
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}
MAX_CLIENTS = 16


def prepare(url: str, clients: int) -> None:
    """Schema, four agencies, one official per agency per client, the diagram."""
    db.upgrade(url)
    engine = Engine(url)
    try:
        now = engine.now()
        with engine.transaction() as s:
            for code, (name, _role) in AGENCIES.items():
                accounts.add_agency(s, code, name, now=now)
            for c in range(clients):
                for code, (_name, role) in AGENCIES.items():
                    accounts.add_official(s, f"b{c}.{code.lower()}", full_name=f"B{c} {code}", agency_code=code,
                                          roles=role, password=PASSWORD, now=now)
        engine.deploy(DIAGRAM.read_bytes(), filename=DIAGRAM.name)
    finally:
        engine.close()


Call = Callable[[str, str, str, Any], tuple[int, Any]]


def drive(call: Call, c: int, dossiers: int) -> int:
    """One office's work: receive and finish ``dossiers`` dossiers; the number of steps completed."""
    steps = 0
    desk = f"b{c}.mc"
    for _ in range(dossiers):
        status, body = call("POST", "/api/v1/dossiers", desk, {"procedure": "T.000001", "applicant": APPLICANT})
        assert status == 201, (status, body)
        status, dossier = call("GET", f"/api/v1/dossiers/{body['code']}?include=open_steps", desk, None)
        assert status == 200, (status, dossier)
        while True:
            open_steps = dossier["open_steps"]
            if not open_steps:
                break
            step = open_steps[0]
            user = f"b{c}.{step['agency'].lower()}"
            status, body = call("POST", f"/api/v1/steps/{step['id']}/claim", user, None)
            assert status == 200, (status, body)
            data = FORMS.get(ELEMENTS[step["name"]], {})
            status, body = call("POST", f"/api/v1/steps/{step['id']}/complete?include=open_steps", user, {"data": data})
            assert status == 200, (status, body)
            dossier = body["dossier"]
            steps += 1
        assert dossier["status"] == "returned", dossier["status"]
    return steps


def sign_in(port: int, clients: int) -> list[dict[str, str]]:
    """A token per official of each office, issued once: a real client keeps its token for hours."""
    api = ApiClient(port, retry_budget=5)
    try:
        return [{f"b{c}.{a.lower()}": api.token(f"b{c}.{a.lower()}", PASSWORD) for a in AGENCIES}
                for c in range(clients)]
    finally:
        api.close()


class LeanClient:
    """A minimal HTTP/1.1 keep-alive client, the load generator of the timed runs.

    The server and its load share the machine's two cores: http.client parses every response's
    headers through the email package, which costs the server CPU it would otherwise have. This
    client writes each request in one send and reads the status, Content-Length and body, as a
    load generator such as wrk does. It refuses what it does not read (a chunked body).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buffer = b""

    def _receive(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def call(self, method: str, path: str, body: Any, token: str) -> tuple[int, Any]:
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        payload = b"" if body is None else orjson.dumps(body)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept: application/json\r\n"
                f"Authorization: Bearer {token}\r\n"
                + ("Content-Type: application/json\r\n" if body is not None else "")
                + f"Content-Length: {len(payload)}\r\n\r\n")
        self.sock.sendall(head.encode() + payload)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status, length, close = int(lines[0].split()[1]), 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ValueError("a chunked answer: not read by this client")
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        self.buffer = rest
        while len(self.buffer) < length:
            self._receive()
        raw, self.buffer = self.buffer[:length], self.buffer[length:]
        if close:
            self.close()
        return status, orjson.loads(raw) if raw else None


def http_run(port: int, tokens: list[dict[str, str]], clients: int, dossiers: int) -> dict[str, float]:
    """``clients`` threads, each on its own keep-alive connection, against the running server."""
    apis = [LeanClient(port) for _ in range(clients)]
    counts = [0] * clients
    errors: list[BaseException] = []

    def worker(c: int) -> None:
        def call(method: str, path: str, user: str, body: Any) -> tuple[int, Any]:
            return apis[c].call(method, path, body, tokens[c][user])

        try:
            counts[c] = drive(call, c, dossiers)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    elapsed = time.perf_counter() - t0
    for api in apis:
        api.close()
    if errors:
        raise errors[0]
    steps = sum(counts)
    return {"steps": steps, "seconds": elapsed, "rate": steps / elapsed,
            "dossier_rate": clients * dossiers / elapsed}


def gunicorn_settings() -> Any:
    """webui/gunicorn_conf.py read on its own: importing the webui package would load Flask into this
    process, and a bigger heap slows the bare SpiffWorkflow measurement (longer garbage collections)."""
    spec = importlib.util.spec_from_file_location("lienthong_gunicorn_conf", ROOT / "webui" / "gunicorn_conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gunicorn(port: int, url: str, tmp: Path, log: Path, workers: int, threads: int) -> Process:
    """gunicorn as deployed (docs/deploy.md): the settings module, then the benchmark's worker counts."""
    argv = [str(BIN / "gunicorn"), "-c", "python:webui.gunicorn_conf", "-w", str(workers), "--threads",
            str(threads), "-b", f"{HOST}:{port}", "webui:create_app()"]
    return Process("gunicorn", argv, server_env(url, tmp), log)


def bench_backend(label: str, url: str, tmp: Path, client_counts: list[int], dossiers: int, workers: int,
                  threads: int) -> None:
    prepare(url, max(client_counts))
    port = free_port()
    server = gunicorn(port, url, tmp, tmp / f"gunicorn-{label}.log", workers, threads)
    server.start()
    try:
        wait_ready(port, server)
        tokens = sign_in(port, max(client_counts))
        # Warm up with every office at once, so that most workers parse the diagram, check the tokens
        # and fill their caches before timing starts.
        http_run(port, tokens, max(client_counts), 2)
        for clients in client_counts:
            # The bare rate right before and right after this run (the server idle meanwhile): on a
            # machine whose speed drifts, each ratio compares figures taken under the same load.
            before, _ = bare_rate(100)
            r = http_run(port, tokens, clients, dossiers)
            after, _ = bare_rate(100)
            local = (before + after) / 2
            print(f"  {label:10} {clients} client(s): {r['rate']:7.1f} steps/s  {r['dossier_rate']:5.2f} dossiers/s"
                  f"  ({r['steps']} steps in {r['seconds']:.1f} s)  = 1/{local / r['rate']:.1f} of bare"
                  f" ({local:.0f}/s around it)  = {r['rate'] / SPIFF_ARENA:.1f}x spiff-arena", flush=True)
    finally:
        server.stop(timeout=25)


def profile(url: str, dossiers: int) -> None:
    """The same loop in-process (Flask test client) under pyinstrument; prints the heaviest frames."""
    from pyinstrument import Profiler

    from webui import create_app

    prepare(url, 1)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    tokens: dict[str, str] = {}
    for a in AGENCIES:
        user = f"b0.{a.lower()}"
        r = client.post("/api/v1/tokens", json={"username": user, "password": PASSWORD})
        tokens[user] = r.get_json()["token"]

    def call(method: str, path: str, user: str, body: Any) -> tuple[int, Any]:
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
        return r.status_code, r.get_json()

    drive(call, 0, 3)  # warm up
    profiler = Profiler(interval=0.0005)
    t0 = time.perf_counter()
    profiler.start()
    steps = drive(call, 0, dossiers)
    profiler.stop()
    elapsed = time.perf_counter() - t0
    print(f"  in-process (no HTTP server), 1 client: {steps / elapsed:.1f} steps/s under the profiler")
    print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False,
                               time="percent_of_total"))
    app.extensions["lienthong_engine"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--dossiers", type=int, default=30, help="dossiers per client thread")
    settings = gunicorn_settings()
    parser.add_argument("--workers", type=int, default=settings.workers)
    parser.add_argument("--threads", type=int, default=settings.threads)
    parser.add_argument("--pg-url", default=os.environ.get("LIENTHONG_TEST_DATABASE_URL")
                        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the server side in-process instead")
    parser.add_argument("--profile-dossiers", type=int, default=40)
    parser.add_argument("--profile-postgres", action="store_true", help="profile on PostgreSQL, not SQLite")
    args = parser.parse_args()
    client_counts = [int(x) for x in args.clients.split(",") if x]
    if not client_counts or max(client_counts) > MAX_CLIENTS:
        parser.error(f"--clients: 1 to {MAX_CLIENTS}")

    with tempfile.TemporaryDirectory(prefix="lienthong-apibench-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        if args.profile:
            url = (stack.enter_context(fresh_pg_database(args.pg_url, "lienthong_bench")) if args.profile_postgres
                   else f"sqlite:///{tmp}/profile.sqlite")
            profile(url, args.profile_dossiers)
            return
        bare_rate(20)
        bare, n = bare_rate(200)
        print(f"bare SpiffWorkflow (in memory, same diagram): {bare:.0f} steps/s ({n} steps)")
        print(f"gunicorn -w {args.workers} --threads {args.threads}, {args.dossiers} dossiers per client, "
              f"6 steps each (claim + complete):")
        if not args.no_sqlite:
            bench_backend("SQLite", f"sqlite:///{tmp}/api.sqlite", tmp, client_counts, args.dossiers,
                          args.workers, args.threads)
        if not args.no_postgres:
            url = stack.enter_context(fresh_pg_database(args.pg_url, "lienthong_bench"))
            bench_backend("PostgreSQL", url, tmp, client_counts, args.dossiers, args.workers, args.threads)
        bare_after, _ = bare_rate(200)
        print(f"bare SpiffWorkflow again after the runs: {bare_after:.0f} steps/s (machine load check)")


if __name__ == "__main__":
    main()

"""Processes and HTTP for the fault test and the API benchmarks.

A fresh PostgreSQL database per run, gunicorn and ``lienthong worker`` each in its own process
group (so stopping one never leaves a child behind), and a small keep-alive JSON client that
retries connection errors with bounded backoff and says whether a request may have run twice.
Loopback only; every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


# --------------------------------------------------------------------------- database


@contextmanager
def fresh_pg_database(base_url: str, prefix: str = "lienthong_fault") -> Iterator[str]:
    """CREATE DATABASE with a unique name, yield its URL, DROP it (even on failure)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Process:
    """A child in its own session/process group, output to a log file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, dict(env), log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: int) -> None:
        """Signal the leader only (what an administrator's ``kill`` does)."""
        if self.alive():
            with suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the leader, wait (bounded), then SIGKILL whatever is left of the group."""
        if self.proc is None:
            return
        self.send(signal.SIGTERM)
        self.wait(timeout)
        self.kill_group(signal.SIGKILL)
        self.wait(5)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, LIENTHONG_DATA_DIR=str(data_dir), SECRET_KEY="fault-test-secret",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def gunicorn(port: int, env: Mapping[str, str], log: Path, *, workers: int = 3, threads: int = 4) -> Process:
    argv = [str(BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"{HOST}:{port}",
            "--graceful-timeout", "20", "--timeout", "60", "webui:create_app()"]
    return Process("gunicorn", argv, env, log)


def background_worker(env: Mapping[str, str], log: Path, interval: float = 0.5) -> Process:
    return Process("worker", [str(BIN / "lienthong"), "worker", "--interval", str(interval)], env, log)


def wait_ready(port: int, process: Process, timeout: float = 60.0) -> None:
    """Until the server answers HTTP at all (or the process dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        with suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            try:
                conn.request("GET", "/api/v1/openapi.json")  # public, and not rate-limited
                conn.getresponse().read()
                return
            finally:
                conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} not ready after {timeout} s:\n{process.tail()}")


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Reply:
    status: int
    body: Any
    #: True when an earlier attempt of this request may have reached the server (lost response).
    retried: bool = False

    @property
    def error(self) -> str:
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else ""


class Unreachable(Exception):
    """The server did not answer within the client's retry budget."""


CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class ApiClient:
    """One keep-alive connection (use one per thread); JSON in and out; bounded retries on connection errors."""

    def __init__(self, port: int, *, retry_budget: float = 60.0, timeout: float = 60.0) -> None:
        self.port = port
        self.retry_budget = retry_budget
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.connection_errors = 0
        self.dropped = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, method: str, path: str, payload: bytes | None, headers: dict[str, str]) -> None:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        self.conn.request(method, path, body=payload, headers=headers)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, *,
             drop_response: bool = False) -> Reply:
        """Send a request; on a connection error retry with backoff until the budget is spent.

        ``drop_response`` simulates a response lost on the way back: the request is sent, the
        connection is closed without reading, and the request is sent again.
        """
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + self.retry_budget
        retried = False
        delay = 0.05
        if drop_response:
            with suppress(*CONNECTION_ERRORS):
                self._send(method, path, payload, headers)
                retried = True
            self.dropped += 1
            self.close()
        while True:
            try:
                self._send(method, path, payload, headers)
                response = self.conn.getresponse()  # type: ignore[union-attr]
                raw = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    data = {"error": raw[:200].decode(errors="replace")}
                return Reply(response.status, data, retried)
            except CONNECTION_ERRORS as exc:
                self.close()
                self.connection_errors += 1
                retried = True  # the request may have been read and run before the connection broke
                if time.monotonic() + delay > deadline:
                    raise Unreachable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def token(self, username: str, password: str) -> str:
        reply = self.call("POST", "/api/v1/tokens", {"username": username, "password": password})
        if reply.status != 201:
            raise RuntimeError(f"token for {username}: {reply.status} {reply.body}")
        return str(reply.body["token"])


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]

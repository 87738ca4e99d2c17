"""Fault test: 200 dossiers through the multi-agency procedure over HTTP while processes are killed.

Runs on PostgreSQL only, as a real deployment would: ``gunicorn 'webui:create_app()'`` with three
workers and two ``lienthong worker`` processes on one freshly created database. Eight client
threads (each with its own officials and bearer tokens, two per agency) receive 200 dossiers of
tests/data/three_agencies.bpmn and claim and complete every step through the JSON API. Clients
work in pairs over the same dossiers, so they race for steps; every Receive step is claimed by two
officials at the same instant (exactly one 200, one 409). Some requests are sent and their
response thrown away, then sent again (a response lost on the way back), and some claims are
given back with /unclaim. Midway one background worker is killed with SIGKILL and restarted, and
the gunicorn master is stopped with SIGTERM and started again; clients retry connection errors
with bounded backoff. At the end the database must be consistent: every step completed exactly
once by whom the client ledger says, no duplicate or orphan rows, open step rows equal to the
READY tasks of the stored workflow state, one event per fact, every dossier returned.

When it runs: only when LIENTHONG_TEST_DATABASE_URL is set (a server URL; the test creates and
drops its own database). ``make test`` runs the suite twice, and its second pass, ``make
test-postgres``, sets that variable, so CI always runs this test there; the SQLite pass,
``make test-sqlite``, deselects tests marked ``postgres``. Alone:

    LIENTHONG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/pytest tests/fault -s

It prints dossiers/s and steps/s of the whole run (faults included). Assertions never use timings.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select, text

from engine import accounts, db, models
from engine.runtime import Engine
from tests.fault.harness import (
    ApiClient,
    Process,
    Reply,
    background_worker,
    free_port,
    fresh_pg_database,
    gunicorn,
    server_env,
    wait_ready,
)

PG_URL = os.environ.get("LIENTHONG_TEST_DATABASE_URL", "")
DIAGRAM = Path(__file__).resolve().parents[1] / "data" / "three_agencies.bpmn"
PASSWORD = "mat-khau-thu-nghiem"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs LIENTHONG_TEST_DATABASE_URL (make test-postgres runs it)"),
]

CLIENTS = 8
DOSSIERS = 200
QUOTA = DOSSIERS // CLIENTS
AGENCIES = {"MC": ("Bộ phận Một cửa", "clerk"), "PCM": ("Phòng chuyên môn", "officer"),
            "CA": ("Công an tỉnh", "officer"), "LD": ("Lãnh đạo", "leader")}
ELEMENTS = {"Tiếp nhận, chuyển hồ sơ": "Receive", "Thẩm định hồ sơ": "Examine",
            "Công an cho ý kiến": "Opinion_police", "Phòng tổng hợp ý kiến": "Opinion_div",
            "Ký quyết định": "Sign", "Trả kết quả": "Return"}
STEPS_PER_DOSSIER = len(ELEMENTS)
FORMS = {"Examine": {"ket_qua": "dat", "so_tien": 1000}, "Sign": {"so_quyet_dinh": "1/QĐ"},
         "Opinion_police": {"y_kien_ca": "Đồng ý"}}
APPLICANT = {"name": "Trần Thị Bình", "id_number": "079123456789"}
CLIENT_DEADLINE = 170.0  # seconds for the clients' whole run; the test stays under 4 minutes
DROP_RATE = 0.04  # requests whose first response is thrown away
UNCLAIM_RATE = 0.05


def username(client: int, agency: str, k: int) -> str:
    return f"c{client}.{agency.lower()}{k}"


def retryable(reply: Reply) -> bool:
    """A RetryableConflict (409 whose message asks to try again): the same call may be repeated."""
    return reply.status == 409 and "thử lại" in reply.error


@dataclass
class Shared:
    port: int
    official_ids: dict[str, int]
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[int, list[str]] = field(default_factory=dict)  # group → dossier codes
    owner: dict[str, int] = field(default_factory=dict)  # code → creating client
    finished: set[str] = field(default_factory=set)
    ledger: list[tuple[int, int, int]] = field(default_factory=list)  # 200 to complete: step, official, client
    acks: list[tuple[int, int, int]] = field(default_factory=list)  # 409 "Bước đã hoàn thành" after a retry
    races: list[list[int]] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    conflicts: Counter[str] = field(default_factory=Counter)
    retried_creates: list[str] = field(default_factory=list)
    unclaims: int = 0
    connection_errors: int = 0
    dropped: int = 0

    def anomaly(self, text_: str) -> None:
        with self.lock:
            self.anomalies.append(text_)

    def done_steps(self) -> int:
        with self.lock:
            return len(self.ledger) + len(self.acks)


class Client(threading.Thread):
    """One office's client program: receives its share of dossiers, works its pair's dossiers."""

    def __init__(self, idx: int, shared: Shared) -> None:
        super().__init__(name=f"client-{idx}", daemon=True)
        self.idx, self.group, self.shared = idx, idx // 2, shared
        self.rnd = random.Random(1000 + idx)
        self.api = ApiClient(shared.port)
        self.api2 = ApiClient(shared.port)  # the second official's connection in a claim race
        self.tokens: dict[str, str] = {}
        self.created = 0

    # ---------------------------------------------------------------- plumbing

    def call(self, method: str, path: str, user: str, body: Any = None, *, api: ApiClient | None = None,
             drop: bool = False) -> Reply:
        reply = (api or self.api).call(method, path, body, self.tokens[user], drop_response=drop)
        with self.shared.lock:
            self.shared.statuses[reply.status] += 1
            if reply.status == 409:
                self.shared.conflicts[reply.error[:60]] += 1
        if reply.status >= 500:
            self.shared.anomaly(f"{method} {path} as {user}: {reply.status} {reply.body}")
        return reply

    def mine(self, agency: str) -> list[str]:
        return [username(self.idx, agency, 1), username(self.idx, agency, 2)]

    def run(self) -> None:
        try:
            for agency in AGENCIES:
                for user in self.mine(agency):
                    self.tokens[user] = self.api.token(user, PASSWORD)
            self.loop()
        except BaseException as exc:  # report, never hang the test
            self.shared.anomaly(f"client {self.idx} crashed: {exc!r}\n{traceback.format_exc()}")
        finally:
            with self.shared.lock:
                self.shared.connection_errors += self.api.connection_errors + self.api2.connection_errors
                self.shared.dropped += self.api.dropped + self.api2.dropped
            self.api.close()
            self.api2.close()

    def loop(self) -> None:
        s = self.shared
        while time.monotonic() < s.deadline:
            with s.lock:
                group = list(s.codes.get(self.group, []))
                unfinished = [c for c in group if c not in s.finished]
                own_open = sum(1 for c in unfinished if s.owner[c] == self.idx)
            if self.created < QUOTA and own_open < 3:
                self.receive()
                continue
            if not unfinished:
                if len(group) >= 2 * QUOTA:
                    return
                time.sleep(0.05)  # the partner is still receiving its share
                continue
            self.work_on(self.rnd.choice(unfinished))

    # ---------------------------------------------------------------- actions

    def receive(self) -> None:
        # The id number marks the request, so a duplicate from a retried create could be traced.
        applicant = dict(APPLICANT, id_number=f"0791{self.idx:02d}{self.created:06d}")
        body = {"procedure": "T.000001", "applicant": applicant, "data": {"so_ban_sao": 2}}
        reply = self.call("POST", "/api/v1/dossiers", self.mine("MC")[0], body)
        if reply.retried:
            with self.shared.lock:
                self.shared.retried_creates.append(applicant["id_number"])
        if reply.status != 201:
            # A lost response to a create would leave an extra dossier nobody tracks: the check
            # at the end counts dossiers, so report it rather than guess.
            self.shared.anomaly(f"create: {reply.status} {reply.body} (retried={reply.retried})")
            self.created += 1
            return
        code = reply.body["code"]
        with self.shared.lock:
            self.shared.codes.setdefault(self.group, []).append(code)
            self.shared.owner[code] = self.idx
        self.created += 1

    def work_on(self, code: str) -> None:
        reply = self.call("GET", f"/api/v1/dossiers/{code}", self.mine("MC")[0])
        if reply.status != 200:
            self.shared.anomaly(f"GET {code}: {reply.status} {reply.body}")
            time.sleep(0.05)
            return
        dossier = reply.body
        if dossier["status"] == "returned":
            with self.shared.lock:
                self.shared.finished.add(code)
            return
        for step in dossier["steps"]:
            if step["state"] not in ("ready", "claimed"):
                continue
            element = ELEMENTS[step["name"]]
            ours = self.mine(step["agency"])
            if step["state"] == "claimed":
                if step["assignee"] in ours:
                    self.complete(step["id"], element, step["assignee"])
                continue
            if element == "Receive":
                if self.shared.owner.get(code) != self.idx:
                    continue  # the desk that received it takes the first step
                user = self.race(step["id"], ours)
            else:
                user = self.claim(step["id"], self.rnd.choice(ours))
            if user is None:
                continue
            if self.rnd.random() < UNCLAIM_RATE:
                self.unclaim(step["id"], user)
                continue
            self.complete(step["id"], element, user)

    def claim(self, step_id: int, user: str, api: ApiClient | None = None) -> str | None:
        for attempt in range(20):
            reply = self.call("POST", f"/api/v1/steps/{step_id}/claim", user, api=api,
                              drop=self.rnd.random() < DROP_RATE)
            if reply.status == 200:
                if reply.body.get("assignee") != user or reply.body.get("state") != "claimed":
                    self.shared.anomaly(f"claim {step_id} as {user}: 200 but {reply.body}")
                return user
            if retryable(reply):
                time.sleep(0.02 * (attempt + 1))
                continue
            if reply.status != 409:
                self.shared.anomaly(f"claim {step_id} as {user}: {reply.status} {reply.body}")
            return None
        self.shared.anomaly(f"claim {step_id} as {user}: still conflicting after 20 tries")
        return None

    def race(self, step_id: int, users: list[str]) -> str | None:
        """Both officials of the desk claim the step at the same instant: exactly one must win."""
        barrier = threading.Barrier(2)
        results: dict[str, str | None] = {}
        statuses: dict[str, int] = {}

        def go(user: str, api: ApiClient) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=30)
            won = self.claim(step_id, user, api)
            results[user] = won
            statuses[user] = 200 if won else 409

        threads = [threading.Thread(target=go, args=(u, a), daemon=True)
                   for u, a in zip(users, (self.api, self.api2), strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        with self.shared.lock:
            self.shared.races.append(sorted(statuses.values()))
        winners = [u for u, won in results.items() if won]
        return winners[0] if len(winners) == 1 else None

    def unclaim(self, step_id: int, user: str) -> None:
        for attempt in range(20):
            reply = self.call("POST", f"/api/v1/steps/{step_id}/unclaim", user)
            if reply.status == 200:
                with self.shared.lock:
                    self.shared.unclaims += 1
                return
            if retryable(reply):
                time.sleep(0.02 * (attempt + 1))
                continue
            if reply.status == 409 and reply.retried:
                return  # the first attempt may have run; the event counts are checked at the end
            self.shared.anomaly(f"unclaim {step_id} as {user}: {reply.status} {reply.body}")
            return

    def complete(self, step_id: int, element: str, user: str) -> None:
        official = self.shared.official_ids[user]
        body = {"data": FORMS.get(element, {}), "note": f"client {self.idx}"}
        maybe_done = False  # an earlier attempt may have run on the server with its response lost
        for attempt in range(30):
            reply = self.call("POST", f"/api/v1/steps/{step_id}/complete", user, body,
                              drop=self.rnd.random() < DROP_RATE)
            maybe_done = maybe_done or reply.retried
            if reply.status == 200:
                with self.shared.lock:
                    self.shared.ledger.append((step_id, official, self.idx))
                return
            if retryable(reply):
                time.sleep(0.02 * (attempt + 1))
                continue
            if reply.status == 409 and reply.error.startswith("Bước đã hoàn thành") and maybe_done:
                with self.shared.lock:  # acknowledged only if the database says we did it (checked at the end)
                    self.shared.acks.append((step_id, official, self.idx))
                return
            self.shared.anomaly(f"complete {step_id} as {user}: {reply.status} {reply.body} "
                                f"(retried={maybe_done})")
            return
        self.shared.anomaly(f"complete {step_id} as {user}: still conflicting after 30 tries")


# ---------------------------------------------------------------------------- setup


def prepare(url: str) -> dict[str, int]:
    """Schema, agencies, officials (two per agency per client), the diagram: directly through the engine."""
    db.upgrade(url)
    engine = Engine(url)
    ids: dict[str, int] = {}
    try:
        now = engine.now()
        with engine.transaction() as s:
            for code, (name, _role) in AGENCIES.items():
                accounts.add_agency(s, code, name, now=now)
            for client in range(CLIENTS):
                for code, (_name, role) in AGENCIES.items():
                    for k in (1, 2):
                        user = username(client, code, k)
                        actor = accounts.add_official(s, user, full_name=user.upper(), agency_code=code,
                                                      roles=role, password=PASSWORD, now=now)
                        ids[user] = actor.id
        engine.deploy(DIAGRAM.read_bytes(), filename=DIAGRAM.name)
    finally:
        engine.close()
    return ids


# ---------------------------------------------------------------------------- checks


def check_database(url: str, shared: Shared) -> dict[str, Any]:
    """Every invariant the run must leave behind; returns figures for the report."""
    engine = Engine(url)
    try:
        with engine.Session() as s:
            dossiers = s.scalars(select(models.Dossier)).all()
            steps = s.scalars(select(models.Step)).all()
            states = {w.dossier_id: w for w in s.scalars(select(models.WorkflowState))}
            events = s.execute(select(models.Event.dossier_id, models.Event.step_id, models.Event.action,
                                      models.Event.actor_id)).all()
            orphans = {
                "steps without dossier": s.scalar(text(
                    "SELECT count(*) FROM steps s LEFT JOIN dossiers d ON d.id = s.dossier_id WHERE d.id IS NULL")),
                "states without dossier": s.scalar(text(
                    "SELECT count(*) FROM workflow_states w LEFT JOIN dossiers d ON d.id = w.dossier_id "
                    "WHERE d.id IS NULL")),
                "events of another dossier's step": s.scalar(text(
                    "SELECT count(*) FROM events e JOIN steps s ON s.id = e.step_id "
                    "WHERE e.dossier_id IS DISTINCT FROM s.dossier_id")),
                "notifications without dossier": s.scalar(text(
                    "SELECT count(*) FROM notifications n LEFT JOIN dossiers d ON d.id = n.dossier_id "
                    "WHERE d.id IS NULL")),
            }
            deadlocks = s.scalar(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
            timers = s.scalar(select(func.count()).select_from(models.Timer))

        assert orphans == dict.fromkeys(orphans, 0), orphans
        assert timers == 0
        tracked = {c for codes in shared.codes.values() for c in codes}
        assert len(dossiers) == DOSSIERS, (f"{len(dossiers)} dossiers stored, {len(tracked)} tracked by clients; "
                                           f"creates retried after a connection error: {shared.retried_creates}")
        assert {d.code for d in dossiers} == tracked
        not_returned = [(d.code, d.status) for d in dossiers if d.status != "returned"]
        assert not not_returned, f"{len(not_returned)} dossiers not returned: {not_returned[:10]}"
        assert all(d.outcome == "returned" and d.finished_at is not None for d in dossiers)

        # Steps: each element of each dossier exactly once, completed, by someone.
        by_dossier: dict[int, list[models.Step]] = {}
        for st in steps:
            by_dossier.setdefault(st.dossier_id, []).append(st)
        expected_elements = sorted(ELEMENTS.values())
        for d in dossiers:
            rows = by_dossier.get(d.id, [])
            assert sorted(r.element_id for r in rows) == expected_elements, (d.code, [r.element_id for r in rows])
            assert all(r.state == "completed" and r.completed_by is not None for r in rows), d.code
            assert len({r.task_id for r in rows}) == len(rows), d.code

        # Stored workflow state: finished, READY tasks = open step rows, completed rows COMPLETED.
        for d in dossiers:
            state = states.get(d.id)
            assert state is not None and state.version == d.state_version, d.code
            definition = engine.definition(d.definition_id)
            wf = engine.codec.loads(state.state, definition.spec, definition.subprocess_specs)
            ready = {str(t.id) for t in wf.get_tasks(state=TaskState.READY, manual=True)}
            open_rows = {r.task_id for r in by_dossier[d.id] if r.state in ("ready", "claimed")}
            assert ready == open_rows, d.code
            assert wf.is_completed(), d.code
            for r in by_dossier[d.id]:
                task = wf.tasks.get(UUID(r.task_id))
                assert task is None or task.has_state(TaskState.COMPLETED), (d.code, r.element_id)

        # Events: one per fact.
        per_step: dict[int, Counter[str]] = {}
        completed_actor: dict[int, list[int | None]] = {}
        per_dossier: dict[int, Counter[str]] = {}
        for dossier_id, step_id, action, actor_id in events:
            if dossier_id is not None:
                per_dossier.setdefault(dossier_id, Counter())[action] += 1
            if step_id is not None:
                per_step.setdefault(step_id, Counter())[action] += 1
                if action == "step.completed":
                    completed_actor.setdefault(step_id, []).append(actor_id)
        for st in steps:
            c = per_step.get(st.id, Counter())
            assert c["step.ready"] == 1, (st.id, c)
            assert c["step.completed"] == 1 and completed_actor[st.id] == [st.completed_by], (st.id, c)
            assert c["step.claimed"] == c["step.unclaimed"] + 1, (st.id, c)
            assert c["step.cancelled"] == 0, (st.id, c)
            assert c["step.overdue"] <= 1 and c["step.due_soon"] <= 1, (st.id, c)
        for d in dossiers:
            c = per_dossier[d.id]
            assert c["dossier.received"] == 1 and c["dossier.finished"] == 1, (d.code, c)
            assert c["dossier.overdue"] <= 1 and c["dossier.due_soon"] <= 1, (d.code, c)

        # The client ledger: every acknowledged completion is in the database, by that official.
        by_id = {st.id: st for st in steps}
        ledger_steps = [step_id for step_id, _o, _c in shared.ledger]
        assert len(ledger_steps) == len(set(ledger_steps)), "a step was completed twice with 200"
        for step_id, official, client in shared.ledger + shared.acks:
            row = by_id.get(step_id)
            assert row is not None and row.state == "completed", (step_id, client)
            assert row.completed_by == official, (step_id, official, row.completed_by, client)
        acknowledged = {step_id for step_id, _o, _c in shared.ledger + shared.acks}
        assert acknowledged == set(by_id), f"{len(set(by_id) - acknowledged)} completions nobody acknowledged"

        worker_events = Counter(a for _d, _s, a, _actor in events
                                if a in ("step.overdue", "step.due_soon", "dossier.overdue", "dossier.due_soon"))
        return {"steps": len(steps), "deadlocks": deadlocks, "worker_events": dict(worker_events)}
    finally:
        engine.close()


# ---------------------------------------------------------------------------- the test


@pytest.mark.timeout(280)
def test_dossiers_survive_killed_workers_and_a_restarted_server(tmp_path: Path, capsys: Any) -> None:
    processes: list[Process] = []
    with fresh_pg_database(PG_URL, "lienthong_fault") as url:
        ids = prepare(url)
        env = server_env(url, tmp_path)
        port = free_port()
        try:
            server = gunicorn(port, env, tmp_path / "gunicorn.log", workers=3, threads=4).start()
            processes.append(server)
            workers = [background_worker(env, tmp_path / f"worker{i}.log").start() for i in range(2)]
            processes.extend(workers)
            wait_ready(port, server)

            shared = Shared(port=port, official_ids=ids, deadline=time.monotonic() + CLIENT_DEADLINE)
            clients = [Client(i, shared) for i in range(CLIENTS)]
            t0 = time.monotonic()
            for c in clients:
                c.start()
            expected = DOSSIERS * STEPS_PER_DOSSIER
            worker_killed = server_restarted = False
            while any(c.is_alive() for c in clients) and time.monotonic() < shared.deadline + 30:
                done = shared.done_steps()
                if not worker_killed and done >= 0.3 * expected:
                    workers[0].kill_group(signal.SIGKILL)
                    assert workers[0].wait(10)
                    workers[0] = background_worker(env, tmp_path / "worker0-restarted.log").start()
                    processes.append(workers[0])
                    worker_killed = True
                if not server_restarted and done >= 0.5 * expected:
                    server.send(signal.SIGTERM)
                    if not server.wait(40):
                        server.kill_group(signal.SIGKILL)
                    server.kill_group(signal.SIGKILL)  # no worker may outlive its master
                    server = gunicorn(port, env, tmp_path / "gunicorn-restarted.log", workers=3, threads=4).start()
                    processes.append(server)
                    wait_ready(port, server)
                    server_restarted = True
                time.sleep(0.1)
            for c in clients:
                c.join(timeout=30)
            elapsed = time.monotonic() - t0
            assert not any(c.is_alive() for c in clients), "clients still running after the deadline"
            assert all(w.alive() for w in workers), [w.tail() for w in workers]
        finally:
            for p in processes:
                p.stop(timeout=25)

        assert worker_killed and server_restarted
        assert not shared.anomalies, "\n".join(shared.anomalies[:20])
        assert len(shared.races) >= DOSSIERS  # every Receive, and again after an unclaim
        assert all(r == [200, 409] for r in shared.races), Counter(tuple(r) for r in shared.races)
        figures = check_database(url, shared)
        assert figures["deadlocks"] == 0  # PostgreSQL resolved a lock cycle: a bug even if retried

    with capsys.disabled():
        print(f"\nfault test: {DOSSIERS} dossiers, {figures['steps']} steps in {elapsed:.1f} s "
              f"= {DOSSIERS / elapsed:.2f} dossiers/s, {figures['steps'] / elapsed:.1f} steps/s "
              f"(3 gunicorn workers x 4 threads, 2 background workers, {CLIENTS} clients; one worker "
              f"SIGKILLed, server restarted)")
        print(f"  HTTP statuses {dict(shared.statuses)}; 409s {dict(shared.conflicts.most_common(6))}")
        print(f"  claim races {len(shared.races)}, unclaims {shared.unclaims}, responses dropped "
              f"{shared.dropped}, connection errors retried {shared.connection_errors}, completions "
              f"acknowledged after a retry {len(shared.acks)}, worker events {figures['worker_events']}, "
              f"PostgreSQL deadlocks {figures['deadlocks']}")

"""PostgreSQL: a step's writes and their COMMIT travel as one batch, checked on the server.

A completion reads in one round trip (the step, its dossier locked, the step locked afresh, the
open steps) and sends everything else, COMMIT included, in a second; a claim is one round trip.
The conditional updates in the batch are wrapped in ``lienthong_expect_one`` (migration 0007): one
that would apply to no row aborts the whole batch on the server.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from engine import fastpath, models
from engine.errors import Conflict, RetryableConflict
from engine.rawsql import raw_transaction
from engine.runtime import Engine
from tests.conftest import FakeClock, World

pytestmark = pytest.mark.postgres

APPLICANT = {"name": "Trần Thị Bình", "id_number": "079123456780"}


@pytest.fixture(autouse=True)
def _postgres_only(engine: Engine) -> None:
    if engine.db.dialect.name != "postgresql":
        pytest.fail("run with LIENTHONG_TEST_DATABASE_URL (make test-postgres)")


def _open(d: Any, element: str) -> Any:
    return next(s for s in d.open_steps if s.element_id == element)


class TurnCountingProxy:
    """A loopback TCP proxy between the engine and PostgreSQL that counts round trips: each time
    the client sends again after the server has answered, the client has waited for an answer."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.turns = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        answered = True  # the connection's first message is a turn of its own
        with client, upstream:
            while True:
                readable, _, _ = select.select([client, upstream], [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if answered:
                            with self._lock:
                                self.turns += 1
                            answered = False
                        upstream.sendall(data)
                    else:
                        answered = True
                        client.sendall(data)

    def close(self) -> None:
        self._closing = True
        self._server.close()


@pytest.fixture
def proxied(engine: Engine, clock: FakeClock) -> Iterator[tuple[Engine, TurnCountingProxy]]:
    """A second engine on the same database, connected through the counting proxy."""
    url = engine.db.url
    proxy = TurnCountingProxy(url.host or "127.0.0.1", url.port or 5432)
    other = Engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), clock=clock)
    yield other, proxy
    other.close()
    proxy.close()


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_round_trips_of_receiving_claiming_and_completing(proxied: tuple[Engine, TurnCountingProxy], world: World,
                                                       deployed: str) -> None:
    engine, proxy = proxied
    for _ in range(2):  # the first time through, the engine also fills its caches of lanes and labels
        d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
        receive = _open(d, "Receive")
        engine.claim(world["clerk"], receive.id)
        d = engine.complete(world["clerk"], receive.id, {"du_giay_to": True}, with_steps="open")
        examine = _open(d, "Examine")
        engine.claim(world["officer"], examine.id)
        d = engine.complete(world["officer"], examine.id, {"ket_qua": "dat", "so_tien": 1000}, with_steps="open")
    proxy.turns = 0
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT, with_history="open")
    # the procedure with the desk's unit code, the day's number, the dossier's id, one batch ending with COMMIT
    assert proxy.turns == 4
    receive = _open(d, "Receive")
    engine.claim(world["clerk"], receive.id)
    d = engine.complete(world["clerk"], receive.id, {"du_giay_to": True}, with_steps="open")
    examine = _open(d, "Examine")
    proxy.turns = 0
    claimed = engine.claim(world["officer"], examine.id)
    assert claimed.state == "claimed" and claimed.assignee_id == world["officer"].id
    assert proxy.turns == 1  # was 3
    proxy.turns = 0
    d = engine.complete(world["officer"], examine.id, {"ket_qua": "dat", "so_tien": 1000}, with_steps="open")
    assert {s.element_id for s in d.open_steps} == {"Opinion_police", "Opinion_div"}  # the parallel split
    assert proxy.turns == 2  # was 5: the read, then one batch ending with COMMIT
    # what the answer says is what was committed, ids included
    with engine.db.connect() as conn:
        rows = conn.execute(text("SELECT id, element_id FROM steps WHERE dossier_id = :d AND state = 'ready'"),
                            {"d": d.id}).all()
    assert {(r.id, r.element_id) for r in rows} == {(s.id, s.element_id) for s in d.open_steps}


def test_the_history_keeps_the_order_things_happened_in(engine: Engine, world: World, deployed: str) -> None:
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = _open(d, "Receive")
    engine.claim(world["clerk"], receive.id)
    d = engine.complete(world["clerk"], receive.id, {"du_giay_to": True})
    examine = _open(d, "Examine")
    engine.claim(world["officer"], examine.id)
    engine.complete(world["officer"], examine.id, {"ket_qua": "dat", "so_tien": 1000})
    d = engine.dossier(d.code, world["clerk"])
    actions = [(e.action, e.step_id) for e in d.events]
    by_element = {s.element_id: s.id for s in d.steps}
    assert actions == [
        ("dossier.received", None), ("step.ready", by_element["Receive"]),
        ("step.claimed", by_element["Receive"]), ("step.completed", by_element["Receive"]),
        ("step.ready", by_element["Examine"]), ("step.claimed", by_element["Examine"]),
        ("step.completed", by_element["Examine"]),
        ("step.ready", by_element["Opinion_police"]), ("step.ready", by_element["Opinion_div"]),
    ]
    assert [e.id for e in d.events] == sorted(e.id for e in d.events)
    # step ids in the order the steps became ready, as the sequence hands them out
    assert [s.element_id for s in sorted(d.steps, key=lambda s: s.id)] == [
        "Receive", "Examine", "Opinion_police", "Opinion_div"]


def test_a_refused_claim_writes_no_event(engine: Engine, world: World, deployed: str) -> None:
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = _open(d, "Receive")
    engine.claim(world["clerk"], receive.id)
    with pytest.raises(Conflict):
        engine.claim(world["clerk2"], receive.id)
    assert _count(engine, "SELECT count(*) FROM events WHERE action = 'step.claimed' AND step_id = :s",
                  s=receive.id) == 1
    again = engine.claim(world["clerk"], receive.id)  # claiming one's own step again: no second event
    assert again.assignee_id == world["clerk"].id
    assert _count(engine, "SELECT count(*) FROM events WHERE action = 'step.claimed' AND step_id = :s",
                  s=receive.id) == 1


@pytest.mark.parametrize("expectation", ["state", "step"])
def test_a_failed_expectation_aborts_the_whole_batch(engine: Engine, world: World, deployed: str,
                                                     expectation: str) -> None:
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = _open(d, "Receive")  # ready, not claimed: the "step" expectation fails on it
    probe = models.Event.__table__.insert().values(dossier_id=d.id, action="probe", at=engine.now(), details={})
    if expectation == "state":
        statement, values = fastpath._SAVE_STATE_EXPECTED, {
            "b_dossier": d.id, "b_version": 99, "b_new": 100, "b_state": "{}", "b_at": engine.now()}
    else:
        statement, values = fastpath._COMPLETE_CLAIMED_EXPECTED, {
            "step_id": receive.id, "at": engine.now(), "by": world["clerk"].id, "form_data": {}, "note": "",
            "timeliness": "on_time", "e_details": {}}
    with pytest.raises(RetryableConflict), raw_transaction(engine.db, {}) as raw:
        raw.run(probe)  # before the failing statement
        raw.run(statement, values)
        raw.run(probe)  # and after it
        raw.finish()
    assert _count(engine, "SELECT count(*) FROM events WHERE action = 'probe'") == 0
    assert _count(engine, "SELECT version FROM workflow_states WHERE dossier_id = :d", d=d.id) == 1
    assert _count(engine, "SELECT count(*) FROM steps WHERE id = :s AND state = 'ready'", s=receive.id) == 1
    with engine.db.connect() as conn:  # the pooled connection is clean for the next transaction
        raw_conn = conn.connection.driver_connection
        assert raw_conn is not None and raw_conn.autocommit is False
    engine.claim(world["clerk"], receive.id)
    engine.complete(world["clerk"], receive.id, {"du_giay_to": True})
    assert _count(engine, "SELECT version FROM workflow_states WHERE dossier_id = :d", d=d.id) == 2

"""Pooled connections: pinged only after sitting idle, and a dead one is replaced before use."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine import db
from engine.runtime import Engine
from tests.conftest import World

pytestmark = pytest.mark.postgres


def _server_pid(engine: Engine) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_killed_while_idle_is_replaced_before_the_next_action(
        engine: Engine, world: World, deployed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.db.dialect.name != "postgresql":
        pytest.fail("run with LIENTHONG_TEST_DATABASE_URL (make test-postgres)")
    d = engine.start_dossier(world["clerk"], deployed, {"name": "Lê Văn Cường"})
    engine.db.pool.dispose()  # one pooled connection from here on, so we know which one to kill
    before = _server_pid(engine)
    killer = create_engine(engine.db.url, poolclass=NullPool)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": before}).scalar_one()
    killer.dispose()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    step = d.open_steps[0]
    claimed = engine.claim(world["clerk"], step.id)  # the raw fast path: would fail on the dead connection
    assert claimed.state == "claimed"
    assert _server_pid(engine) != before


def test_a_busy_connection_is_not_pinged(engine: Engine, world: World, deployed: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.db.dialect.name != "postgresql":
        pytest.fail("run with LIENTHONG_TEST_DATABASE_URL (make test-postgres)")
    pings: list[object] = []
    real = engine.db.dialect.do_ping
    monkeypatch.setattr(engine.db.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    for _ in range(5):
        engine.inbox(world["clerk"])
    assert pings == []
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    engine.inbox(world["clerk"])
    assert len(pings) == 1

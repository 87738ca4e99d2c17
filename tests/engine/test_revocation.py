"""Revoked tokens, deactivated officials and changed roles take effect in every process at once.

Each web process caches checked API tokens (engine.tokens.TokenCache); engine.revocation tells
every cache when what it holds may no longer be true: a stamp file on SQLite, NOTIFY on
PostgreSQL. Two caches here stand for two web processes.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select, text

from engine import accounts, models, revocation, tokens
from engine.errors import InvalidInput
from engine.runtime import Engine
from tests.conftest import PASSWORD, World

APPLICANT = {"name": "Phạm Văn Đức", "id_number": "079123456781"}


def _cache(engine: Engine) -> tokens.TokenCache:
    """One web process's cache, as webui.api makes it."""
    return tokens.TokenCache(watch=revocation.watch_for(engine.db.url))


def _check(engine: Engine, cache: tokens.TokenCache, token: str) -> Any:
    """What webui.api does with a bearer token: the cache, else one query (and keep the answer)."""
    token_hash = tokens.hash_token(token)
    actor = cache.get(token_hash, engine.now())
    if actor is not None:
        return actor
    generation = cache.seen
    with engine.Session() as session:
        found = tokens.lookup(session, token_hash, engine.now())
    if found is None:
        return None
    cache.put(token_hash, *found, generation)
    return found[0]


def _issue(engine: Engine, actor: Any) -> str:
    with engine.transaction() as session:
        return tokens.issue(session, actor.id, engine.now()).token


def _eventually(condition: Any, seconds: float = 5.0) -> bool:
    """PostgreSQL delivers the notification a moment after the commit; SQLite at once."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


@pytest.fixture
def caches(engine: Engine) -> tuple[tokens.TokenCache, tokens.TokenCache]:
    first, second = _cache(engine), _cache(engine)
    if engine.db.dialect.name == "postgresql":
        watch = first.watch
        assert isinstance(watch, revocation.NotifyWatch)
        assert watch.listening.wait(10)
    return first, second


def test_a_token_revoked_by_one_process_is_refused_by_every_other(engine: Engine, world: World, caches) -> None:
    first, second = caches
    token = _issue(engine, world["officer"])
    assert _check(engine, first, token) is not None  # cached by the first process
    assert _check(engine, second, token) is not None
    with engine.transaction() as session:
        assert tokens.revoke(session, token)
    assert _eventually(lambda: _check(engine, first, token) is None)
    assert _check(engine, second, token) is None


def test_a_revocation_rolled_back_changes_nothing(engine: Engine, world: World, caches) -> None:
    first, _ = caches
    token = _issue(engine, world["officer"])
    assert _check(engine, first, token) is not None
    before = first.watch.generation() if first.watch else 0
    with pytest.raises(RuntimeError), engine.transaction() as session:
        tokens.revoke(session, token)
        raise RuntimeError("changed my mind")
    time.sleep(0.2)
    assert (first.watch.generation() if first.watch else 0) == before
    assert _check(engine, first, token) is not None


def test_what_was_read_while_a_revocation_committed_is_not_kept(engine: Engine, world: World, caches) -> None:
    first, _ = caches
    token = _issue(engine, world["officer"])
    token_hash = tokens.hash_token(token)
    assert first.get(token_hash, engine.now()) is None
    generation = first.seen
    with engine.Session() as session:  # read before the revocation commits ...
        found = tokens.lookup(session, token_hash, engine.now())
    assert found is not None
    with engine.transaction() as session:
        tokens.revoke(session, token)
    assert _eventually(lambda: first.watch is not None and first.watch.generation() != generation)
    first.put(token_hash, *found, generation)  # ... and kept after it: refused
    assert first.get(token_hash, engine.now()) is None


def test_changed_roles_reach_every_cache(engine: Engine, world: World, caches) -> None:
    first, _ = caches
    token = _issue(engine, world["officer"])
    assert _check(engine, first, token).roles == {"officer"}
    with engine.transaction() as session:
        accounts.update_official(session, "officer", now=engine.now(), roles=["officer", "leader"])
    assert _eventually(lambda: _check(engine, first, token).roles == {"officer", "leader"})


def test_a_new_password_signs_the_official_out_everywhere(engine: Engine, world: World, caches) -> None:
    first, _ = caches
    token = _issue(engine, world["officer"])
    assert _check(engine, first, token) is not None
    with engine.transaction() as session:
        accounts.set_password(session, " Officer ", "mot-mat-khau-moi-dai", now=engine.now(), by=world["designer"])
    assert _eventually(lambda: _check(engine, first, token) is None)
    with engine.Session() as session:
        assert accounts.authenticate(session, "officer", "mot-mat-khau-moi-dai") is not None
        logged = session.execute(text("SELECT actor_id, details FROM events WHERE action = 'official.updated'")).one()
    details = logged.details if isinstance(logged.details, dict) else __import__("json").loads(logged.details)
    assert (logged.actor_id, details) == (world["designer"].id, {"username": "officer", "password": "changed"})


def test_deactivating_an_official_signs_them_out_and_hands_their_steps_back(
        engine: Engine, world: World, deployed: str, caches) -> None:
    first, _ = caches
    admin = world["designer"]  # any official may be the one recorded; the web UI lets only admins
    token = _issue(engine, world["clerk"])
    assert _check(engine, first, token) is not None
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = d.open_steps[0]
    engine.claim(world["clerk"], receive.id)
    with engine.transaction() as session:
        updated = accounts.update_official(session, "clerk", now=engine.now(), by=admin, active=False)
    assert updated.active is False
    assert _eventually(lambda: _check(engine, first, token) is None)
    with engine.Session() as session:
        assert session.scalar(select(models.ApiToken).where(models.ApiToken.official_id == world["clerk"].id)) is None
        assert accounts.get_actor(session, world["clerk"].id) is None  # the web UI's per-request load
        assert accounts.authenticate(session, "clerk", PASSWORD) is None
    step = engine.dossier(d.code, world["clerk2"]).steps[0]
    assert step.state == "ready" and step.assignee_id is None  # back in the desk's queue
    assert [s.id for s in engine.inbox(world["clerk2"])] == [receive.id]
    history = engine.dossier(d.code, world["clerk2"]).events
    assert (history[-1].action, history[-1].details) == ("step.unclaimed",
                                                         {"previous": world["clerk"].id, "reason": "deactivated"})
    with engine.Session() as session:
        logged = session.execute(text(
            "SELECT actor_id, details FROM events WHERE action = 'official.updated'")).one()
    details = logged.details if isinstance(logged.details, dict) else __import__("json").loads(logged.details)
    assert logged.actor_id == admin.id
    assert details == {"username": "clerk", "active": {"from": True, "to": False}, "released_steps": [receive.id]}
    with engine.transaction() as session:  # back again: can sign in, but has to claim anew
        assert accounts.update_official(session, "clerk", now=engine.now(), by=admin, active=True).active
    with engine.Session() as session:
        assert accounts.authenticate(session, "clerk", PASSWORD) is not None


def test_an_administrator_cannot_lock_themselves_out(engine: Engine, world: World) -> None:
    with engine.transaction() as session:
        me = accounts.add_official(session, "quantri", full_name="Quản trị", agency_code="PCM", roles="admin",
                                   password=PASSWORD, now=engine.now())
    with pytest.raises(InvalidInput), engine.transaction() as session:
        accounts.update_official(session, "quantri", now=engine.now(), by=me, active=False)
    with pytest.raises(InvalidInput), engine.transaction() as session:
        accounts.update_official(session, "quantri", now=engine.now(), by=me, roles="leader")
    with engine.transaction() as session:  # and nothing changed
        still = accounts.update_official(session, "quantri", now=engine.now(), by=me, roles="admin")
    assert still.active and still.roles == {"admin"}
    with engine.Session() as session:
        assert session.scalar(text("SELECT count(*) FROM events WHERE action = 'official.updated'")) == 0


def test_unknown_roles_and_officials_are_refused(engine: Engine, world: World) -> None:
    from engine.errors import NotFound

    with pytest.raises(InvalidInput), engine.transaction() as session:
        accounts.update_official(session, "officer", now=engine.now(), roles="superuser")
    with pytest.raises(NotFound), engine.transaction() as session:
        accounts.update_official(session, "nobody", now=engine.now(), active=False)

"""API tokens: stored hashed, expire, stop working for inactive officials; the cache honours expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import models, tokens
from engine.runtime import Engine
from tests.conftest import World


def test_token_is_stored_hashed_and_finds_its_official(engine: Engine, world: World):
    now = engine.now()
    with engine.transaction() as s:
        grant = tokens.issue(s, world["officer"].id, now)
    assert len(grant.token) >= 43
    with engine.Session() as s:
        stored = s.scalars(select(models.ApiToken.token_hash)).all()
        assert stored == [tokens.hash_token(grant.token)]
        assert grant.token not in stored
        found = tokens.lookup(s, tokens.hash_token(grant.token), now)
    assert found is not None
    actor, expires_at = found
    assert actor.username == "officer" and actor.agency_code == "PCM" and actor.has("officer")
    assert expires_at == now + tokens.DEFAULT_TTL


def test_expired_unknown_and_inactive_tokens_are_refused(engine: Engine, world: World):
    now = engine.now()
    with engine.transaction() as s:
        short = tokens.issue(s, world["clerk"].id, now, ttl=timedelta(minutes=5))
        other = tokens.issue(s, world["police"].id, now)
    with engine.Session() as s:
        assert tokens.lookup(s, tokens.hash_token(short.token), now + timedelta(minutes=6)) is None
        assert tokens.lookup(s, tokens.hash_token("not-a-token"), now) is None
    with engine.transaction() as s:
        s.get(models.Official, world["police"].id).active = False
    with engine.Session() as s:
        assert tokens.lookup(s, tokens.hash_token(other.token), now) is None


def test_revoke_and_purge(engine: Engine, world: World):
    now = engine.now()
    with engine.transaction() as s:
        a = tokens.issue(s, world["clerk"].id, now, ttl=timedelta(minutes=1))
        b = tokens.issue(s, world["clerk"].id, now)
    with engine.transaction() as s:
        assert tokens.revoke(s, b.token) and not tokens.revoke(s, b.token)
        assert tokens.purge_expired(s, now + timedelta(minutes=2)) == 1
    with engine.Session() as s:
        assert s.scalars(select(models.ApiToken)).all() == []
    assert a.token != b.token

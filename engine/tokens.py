"""API bearer tokens: issue, check, revoke. Only a token's SHA-256 is stored, never the token."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import models
from engine.actor import Actor
from engine.revocation import Watch, announce

#: Random bytes in a token (urlsafe base64 text of about 43 characters).
TOKEN_BYTES = 32
#: How long a token stays valid after it is issued.
DEFAULT_TTL = timedelta(hours=12)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenGrant:
    """A freshly issued token; ``token`` is shown to the caller once and stored nowhere."""

    token: str
    expires_at: datetime


def issue(session: Session, official_id: int, now: datetime, ttl: timedelta = DEFAULT_TTL) -> TokenGrant:
    """Create a token for an official (and forget that official's expired ones)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.execute(delete(models.ApiToken).where(models.ApiToken.official_id == official_id,
                                                  models.ApiToken.expires_at <= now))
    session.add(models.ApiToken(token_hash=hash_token(token), official_id=official_id, created_at=now,
                                expires_at=now + ttl))
    return TokenGrant(token, now + ttl)


def lookup(session: Session, token_hash: str, now: datetime) -> tuple[Actor, datetime] | None:
    """The active official holding an unexpired token, and its expiry (one indexed query)."""
    row = session.execute(
        select(models.ApiToken.expires_at, models.Official, models.Agency)
        .join(models.Official, models.Official.id == models.ApiToken.official_id)
        .join(models.Agency, models.Agency.id == models.Official.agency_id)
        .where(models.ApiToken.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    expires_at, official, agency = row
    if expires_at <= now or not official.active:
        return None
    actor = Actor(official.id, official.username, official.full_name, agency.id, agency.code, agency.name,
                  frozenset(r for r in official.roles.split(",") if r))
    return actor, expires_at


def revoke(session: Session, token: str) -> bool:
    """Delete a token; False when it did not exist. Every process stops accepting it once the
    transaction commits (engine.revocation)."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.token_hash == hash_token(token)))
    if result.rowcount:  # type: ignore[attr-defined]
        announce(session)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(session: Session, official_id: int) -> int:
    """Delete every token of an official (deactivated, password changed); how many."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.official_id == official_id))
    announce(session)
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every expired token; the number deleted."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


class TokenCache:
    """A small in-process cache of checked tokens, so a burst of requests costs one query.

    Entries live ``ttl_seconds`` of real time at most; the token's own expiry is checked on every
    hit. With a ``watch`` (engine.revocation), a revoked token, a deactivated official or changed
    roles or password empty the cache of every process at once: the watch's generation is
    compared before each use, and an entry read while it moved is not kept.
    """

    def __init__(self, ttl_seconds: float = 30.0, max_size: int = 2048, watch: Watch | None = None) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_size = max_size
        self.watch = watch
        self._seen = watch.generation() if watch is not None else 0
        self._items: OrderedDict[str, tuple[float, Actor, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def seen(self) -> int:
        """The generation the last :meth:`get` saw: pass it to :meth:`put` with what is read after."""
        return self._seen

    def generation(self) -> int:
        """The watch's generation now, emptying the cache if it moved since last seen."""
        if self.watch is None:
            return 0
        now = self.watch.generation()
        if now != self._seen:
            with self._lock:
                self._items.clear()
                self._seen = now
        return now

    def get(self, token_hash: str, now: datetime) -> Actor | None:
        self.generation()
        with self._lock:
            hit = self._items.get(token_hash)
            if hit is None:
                return None
            loaded, actor, expires_at = hit
            if time.monotonic() - loaded > self.ttl_seconds or expires_at <= now:
                del self._items[token_hash]
                return None
            self._items.move_to_end(token_hash)
            return actor

    def put(self, token_hash: str, actor: Actor, expires_at: datetime, generation: int | None = None) -> None:
        """Keep a checked token; not when ``generation`` (taken before it was read) has moved since."""
        if generation is not None and self.generation() != generation:
            return
        with self._lock:
            self._items[token_hash] = (time.monotonic(), actor, expires_at)
            self._items.move_to_end(token_hash)
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)

    def discard(self, token_hash: str) -> None:
        with self._lock:
            self._items.pop(token_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

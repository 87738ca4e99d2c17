"""API bearer tokens: issue, check, revoke. Only a token's SHA-256 is stored, never the token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from engine import models
from engine.actor import Actor
from engine.prepared import Prepared

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


_OFFICIAL, _AGENCY = models.Official, models.Agency
#: Plain columns, no ORM objects: this runs on every API request.
_LOOKUP = Prepared(select(models.ApiToken.expires_at, _OFFICIAL.id, _OFFICIAL.username, _OFFICIAL.full_name,
                          _OFFICIAL.roles, _OFFICIAL.active, _AGENCY.id, _AGENCY.code, _AGENCY.name)
                   .join(_OFFICIAL, _OFFICIAL.id == models.ApiToken.official_id)
                   .join(_AGENCY, _AGENCY.id == _OFFICIAL.agency_id)
                   .where(models.ApiToken.token_hash == bindparam("token_hash")))


def lookup(session: Session | Connection, token_hash: str, now: datetime) -> tuple[Actor, datetime] | None:
    """The active official holding an unexpired token, and its expiry (one indexed query of plain columns)."""
    conn = session.connection() if isinstance(session, Session) else session
    row = _LOOKUP.execute(conn, {"token_hash": token_hash}).first()
    if row is None:
        return None
    expires_at, official_id, username, full_name, roles, active, agency_id, agency_code, agency_name = row
    if expires_at <= now or not active:
        return None
    actor = Actor(official_id, username, full_name, agency_id, agency_code, agency_name,
                  frozenset(r for r in roles.split(",") if r))
    return actor, expires_at


def revoke(session: Session, token: str) -> bool:
    """Delete a token; False when it did not exist. Every process stops accepting it once the
    transaction commits: each request looks its token up."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.token_hash == hash_token(token)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(session: Session, official_id: int) -> int:
    """Delete every token of an official (deactivated, password changed); how many."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.official_id == official_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every expired token; the number deleted."""
    result = session.execute(delete(models.ApiToken).where(models.ApiToken.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]

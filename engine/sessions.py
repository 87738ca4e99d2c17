"""Officials signing in and out of the web UI: rate-limited logins, and sessions that end everywhere.

Each official has a session generation (``officials.session_generation``). The web layer writes it into
the session at login and asks :func:`session_actor` on every request, which accepts the session only
while the generation is unchanged. Logging out (:func:`end_sessions`), a password change, a role change
and deactivation (engine.accounts) move it on, so every session issued before ends at once, in every
web process, without any list of sessions to keep.

Logins are counted per account and client address and, more loosely, per address
(engine.ratelimits): a stranger guessing a password locks out only their own address, never the official
signing in from elsewhere; one address cannot try many accounts either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from engine import accounts, models
from engine.accounts import Actor
from engine.ratelimits import count_attempt, forgive_attempt
from engine.settings import RateLimit

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["ADDRESS_FACTOR", "end_sessions", "log_in", "login_keys", "session_actor"]

#: One address may fail this many times the per-account limit, across accounts (an office behind one
#: NAT address has many officials).
ADDRESS_FACTOR = 5


def login_keys(username: str, address: str, limit: RateLimit) -> dict[str, RateLimit]:
    """The rate-limit keys a login attempt counts under, with their limits."""
    name = username.strip().lower()[:64]
    return {f"login:{address}|{name}": limit,
            f"login-address:{address}": RateLimit(limit.count * ADDRESS_FACTOR, limit.seconds)}


def log_in(engine: Engine, username: str, password: str, *, address: str, limit: RateLimit) -> Actor | None:
    """The official when the password matches, None when not; :class:`TooManyAttempts` (before the
    password is looked at) when this account from this address, or this address, failed too often.
    The attempt is counted first, atomically, so parallel guesses never exceed the limit; a success is
    given back, so only failures count."""
    keys = login_keys(username, address, limit)
    count_attempt(engine, keys)
    with engine.transaction() as session:
        found = accounts.authenticate(session, username, password)
    if found is not None:
        forgive_attempt(engine, list(keys))
    return found


def session_actor(engine: Engine, official_id: int, generation: int) -> Actor | None:
    """The active official of a web session, while the session's generation is the official's."""
    with engine.Session() as session:
        row = session.scalar(select(models.Official).where(
            models.Official.id == official_id, models.Official.session_generation == generation,
            models.Official.active.is_(True)))
        return accounts.actor_of(session, row) if row is not None else None


def end_sessions(engine: Engine, official_id: int) -> None:
    """Every web session of the official ends (logout ends them on every browser and device)."""
    with engine.transaction() as session:
        session.execute(update(models.Official).where(models.Official.id == official_id)
                        .values(session_generation=models.Official.session_generation + 1))

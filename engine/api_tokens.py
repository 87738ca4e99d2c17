"""API bearer tokens for the web layer: issue, check (one indexed look-up of the token's hash per
request, no cache), revoke. Rules in engine.tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import tokens
from engine.actor import Actor
from engine.tokens import TokenGrant

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["issue_token", "revoke_token", "token_actor"]

#: Longest token text looked at (issued tokens are about 43 characters).
MAX_TOKEN = 256


def issue_token(engine: Engine, actor: Actor) -> TokenGrant:
    with engine.transaction() as session:
        return tokens.issue(session, actor.id, engine.now())


def token_actor(engine: Engine, token: str) -> Actor | None:
    """The active official holding the unexpired ``token``, else None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    with engine.db.connect() as connection:  # a plain connection: no ORM session for one read
        found = tokens.lookup(connection, tokens.hash_token(token), engine.now())
    return found[0] if found else None


def revoke_token(engine: Engine, token: str) -> bool:
    """The token stops working at once (every process looks it up on every request)."""
    with engine.transaction() as session:
        return tokens.revoke(session, token)

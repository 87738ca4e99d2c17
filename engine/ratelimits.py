"""Rate limits kept in the database, so every web process (and every server in front of one database)
shares them and a deployment needs no other server.

A key (an account and address, an address, a dossier code and address) owns one ``rate_limits`` row: the
start of its current window and the attempts counted in it. :func:`take` counts an attempt with one
atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite as on PostgreSQL) and says
whether it is within the limit, so parallel requests in any number of processes never get past it. A
window begins with its first attempt and lasts ``seconds``; an attempt after it starts a new one.
:func:`give_back` uncounts an attempt that turned out to be legitimate (the right password, the right
secret), so only failures accumulate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.orm import Session

from engine import models
from engine.db import dialect_insert
from engine.errors import TooManyAttempts
from engine.settings import RateLimit

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["count_attempt", "forgive_attempt", "give_back", "take", "take_all"]

#: Rows whose window began this long ago are stale whatever their limit (settings.RateLimit allows a day at
#: most), and each
#: counted attempt removes up to ``PURGE_BATCH`` of them: the table holds about a day of keys.
STALE_AFTER = timedelta(days=1)
PURGE_BATCH = 20

#: Longest key stored (longer ones are cut: they come from user input such as a dossier code).
MAX_KEY = 255


def take(session: Session, key: str, limit: RateLimit, now: datetime) -> bool:
    """Count one attempt under ``key``; True while the window's count is within ``limit``.

    The count stops one past the limit (a refused flood does not grow it), and the window does not
    move while attempts keep coming: it ends ``limit.seconds`` after its first attempt."""
    table = models.RateLimit
    key = key[:MAX_KEY]
    cutoff = now - timedelta(seconds=limit.seconds)
    insert = dialect_insert(session)(table)
    expired = table.window_start <= cutoff
    stmt = insert.values(key=key, window_start=now, count=1).on_conflict_do_update(
        index_elements=[table.key],
        set_={"count": case((expired, 1), (table.count > limit.count, table.count),
                            else_=table.count + 1),
              "window_start": case((expired, literal(now, table.window_start.type)),
                                   else_=table.window_start)},
    ).returning(table.count)
    count = session.execute(stmt).scalar_one()
    return bool(count <= limit.count)


def take_all(session: Session, limits: dict[str, RateLimit], now: datetime) -> bool:
    """Count one attempt under each key; True when every key is within its limit."""
    results = [take(session, key, limit, now) for key, limit in limits.items()]  # every key counted
    _purge(session, now)
    return all(results)


def _purge(session: Session, now: datetime) -> None:
    table = models.RateLimit
    stale = select(table.key).where(table.window_start < now - STALE_AFTER).limit(PURGE_BATCH)
    session.execute(delete(table).where(table.key.in_(stale.scalar_subquery())))


def give_back(session: Session, keys: list[str]) -> None:
    """Uncount one attempt under each key (it succeeded)."""
    table = models.RateLimit
    session.execute(update(table).where(table.key.in_([k[:MAX_KEY] for k in keys]), table.count > 0)
                    .values(count=table.count - 1))


def count_attempt(engine: Engine, limits: dict[str, RateLimit]) -> None:
    """Count one attempt under each key in its own transaction (so a refusal is counted too);
    :class:`TooManyAttempts` when any key is over its limit."""
    with engine.transaction() as session:
        allowed = take_all(session, limits, engine.now())
    if not allowed:
        raise TooManyAttempts("Quá nhiều lần thử trong thời gian ngắn; hãy thử lại sau ít phút.")


def forgive_attempt(engine: Engine, keys: list[str]) -> None:
    """Uncount the attempt just counted under ``keys``: it was legitimate."""
    with engine.transaction() as session:
        give_back(session, keys)

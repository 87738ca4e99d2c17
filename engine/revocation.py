"""Telling every web process at once that cached API tokens may no longer hold.

Each web process keeps the tokens it has checked for up to 30 s (engine.tokens.TokenCache), so a
burst of API calls costs one query. A token revoked (sign-out), an official deactivated, their
roles or password changed: every process must stop trusting what it cached, now, not half a
minute later. Whoever makes such a change calls :func:`announce` in its transaction; every
cache compares the database's *generation* before each use and empties itself when it moved.

- PostgreSQL: ``NOTIFY lienthong_tokens``, which the server delivers when (and only if) the
  transaction commits, to one listening connection per process and database (a daemon thread,
  reconnecting after a failure; while it is not listening the caches' own 30 s bound holds).
  Every web server on the database hears it, on any host.
- SQLite: a stamp file beside the database (``<database>-tokens``) grows by one byte right after
  the transaction commits; its size is the generation (one ``stat`` per request). Before the
  commit would be too early: a process could re-read the token, still valid, and cache it again.

A cache also refuses to store what it read while the generation moved (see TokenCache.put).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "lienthong_tokens"


class Watch:
    """The generation of one database's token changes, as this process sees it."""

    def generation(self) -> int:
        raise NotImplementedError


class StampFileWatch(Watch):
    """SQLite: the size of the stamp file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def generation(self) -> int:
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0


class NotifyWatch(Watch):
    """PostgreSQL: a thread LISTENing on the channel counts what it hears (and every reconnect)."""

    def __init__(self, dsn: str, *, retry_seconds: float = 1.0, longest_wait: float = 30.0) -> None:
        self.dsn = dsn
        self.retry_seconds = retry_seconds
        self.longest_wait = longest_wait
        self._count = 0
        self.listening = threading.Event()
        threading.Thread(target=self._run, name="token-revocations", daemon=True).start()

    def generation(self) -> int:
        return self._count

    def _bump(self) -> None:
        self._count += 1  # one writer (this thread); readers only compare

    def _run(self) -> None:
        import psycopg

        wait = self.retry_seconds
        while True:
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._bump()  # whatever was announced while nobody listened
                    self.listening.set()
                    wait = self.retry_seconds
                    while True:
                        for _ in conn.notifies(timeout=1.0):
                            self._bump()
            except Exception as exc:  # the server restarted, the network dropped: listen again
                log.warning("token revocation listener: %s; listening again in %.0f s", exc, wait)
            self.listening.clear()
            self._bump()
            time.sleep(wait)
            wait = min(wait * 2, self.longest_wait)


def stamp_path(url: URL) -> str | None:
    """The stamp file of a SQLite database file (None for memory databases)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + "-tokens"


_watches: dict[tuple[int, str], Watch] = {}
_lock = threading.Lock()


def watch_for(url: URL) -> Watch | None:
    """This process's watch of the database at ``url`` (one per process and database)."""
    if url.get_backend_name() == "sqlite":
        path = stamp_path(url)
        return StampFileWatch(path) if path else None
    if url.get_backend_name() != "postgresql":
        return None
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    key = (os.getpid(), dsn)  # a forked worker listens on a connection of its own
    with _lock:
        found = _watches.get(key)
        if found is None:
            found = _watches[key] = NotifyWatch(dsn)
        return found


#: ``Session.info`` key of callables to run once the unit of work the session joined has committed.
AFTER_COMMIT = "lienthong_after_commit"


def announce(session: Session) -> None:
    """Tell every process, once this transaction commits, that cached tokens may no longer hold."""
    bind: Any = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
        return
    path = stamp_path(bind.engine.url)
    if path is None:
        return

    def stamp(_session: Session) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)

    if isinstance(bind, Connection):  # a session joined to an engine unit of work: it runs these after commit
        session.info.setdefault(AFTER_COMMIT, []).append(lambda: stamp(session))
    else:
        event.listen(session, "after_commit", stamp, once=True)

"""SQLite writers wait for each other on a file lock, let in soon after it is free.

SQLite lets one writer in at a time. A writer that finds the database locked is held in SQLite's
busy handler, which sleeps and retries: 1 ms, then 2, 5, 10, 15, 20, 25 ms and more. A step's
write transaction holds the lock well under a millisecond, so with several web workers most of a
writer's wait was spent asleep after the lock had long been free.

Write transactions (``BEGIN IMMEDIATE``, both on the ORM path and on the raw path) therefore first
take an exclusive ``flock`` on a file beside the database (``<database>-writelock``), one open file
per connection, so that threads of one process exclude each other as processes do. A waiter polls
the lock without blocking, sleeping 50 µs, then twice as long each time up to 0.5 ms, so it gets
in within about half a millisecond of the holder's commit (for a few µs of CPU per try);
SQLite's own lock is then free and ``BEGIN IMMEDIATE`` succeeds at once. Like SQLite's busy
timeout, the wait is bounded by the connection's ``timeout``: past it the writer gets SQLite's
"database is locked" error (a retryable conflict to the engine's callers) instead of hanging
behind a stuck holder. The file lock goes with its holder: a process that dies releases it.
Readers never take it (WAL readers do not wait for writers), and a database that is not a plain
file (``:memory:``, a URI) keeps SQLite's busy handler alone.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from typing import Any

_FIRST_PAUSE = 0.00005
_LONGEST_PAUSE = 0.0005


class WriteLockedConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions queue on the database's write-lock file."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_fd: int | None = None
        self._locked = False
        self._wait_limit = float(kwargs.get("timeout", args[0] if args else 5.0))
        name = os.fspath(database) if isinstance(database, str | os.PathLike) else ""
        if name and name != ":memory:" and not name.startswith("file:"):
            self._lock_fd = _open_lock_file(f"{name}-writelock")

    def begin_write(self) -> None:
        """``BEGIN IMMEDIATE``, after waiting for the write-lock file."""
        if self._lock_fd is not None and not self._locked:
            _acquire(self._lock_fd, self._wait_limit)
            self._locked = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._locked and self._lock_fd is not None:
            self._locked = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        self._ending(super().commit)

    def rollback(self) -> None:
        self._ending(super().rollback)

    def _ending(self, end: Any) -> None:
        """Commit or roll back, then let the next writer in once no transaction is left open."""
        try:
            end()
        finally:
            if not self.in_transaction:
                self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _open_lock_file(path: str) -> int | None:
    """The lock file, created readable by all (flock needs no write access, so a process of another
    user sharing the database can lock it too); None when it cannot be had, and the connection then
    relies on SQLite's busy handler alone."""
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags | os.O_CLOEXEC, 0o644)
        except OSError:
            continue
    return None


def _acquire(fd: int, limit: float) -> None:
    """The exclusive file lock, waiting at most ``limit`` seconds."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = time.monotonic() + limit
    pause = _FIRST_PAUSE
    while True:
        time.sleep(pause)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError("database is locked (another writer held it too long)") from None
            pause = min(pause * 2, _LONGEST_PAUSE)

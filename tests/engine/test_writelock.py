"""SQLite write transactions queue on the database's write-lock file (engine.writelock)."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine import db
from engine.writelock import WriteLockedConnection

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock")


def connect(path: Path) -> WriteLockedConnection:
    conn = WriteLockedConnection(str(path), timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "w.sqlite"
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    conn.close()
    return path


def file_lock_is_free(database: Path) -> bool:
    fd = os.open(f"{database}-writelock", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_second_writer_waits_for_the_first_and_goes_on_when_it_commits(database: Path) -> None:
    first, second = connect(database), connect(database)
    assert file_lock_is_free(database)
    first.begin_write()
    assert not file_lock_is_free(database)  # writers queue in the kernel, not in SQLite's sleeps
    first.execute("INSERT INTO t (who) VALUES ('first')")
    entered = threading.Event()

    def write() -> None:
        second.begin_write()
        entered.set()
        second.execute("INSERT INTO t (who) VALUES ('second')")
        second.commit()

    waiter = threading.Thread(target=write)
    waiter.start()
    assert not entered.wait(0.3), "the second writer got in while the first held the lock"
    first.commit()
    waiter.join(10)
    assert entered.is_set() and not waiter.is_alive()
    assert file_lock_is_free(database)
    assert [w for (w,) in first.execute("SELECT who FROM t ORDER BY id")] == ["first", "second"]
    first.close()
    second.close()


def test_rollback_and_a_failed_begin_let_the_next_writer_in(database: Path) -> None:
    a, b = connect(database), connect(database)
    a.begin_write()
    a.execute("INSERT INTO t (who) VALUES ('undone')")
    a.rollback()
    b.begin_write()  # would wait forever if the rollback had kept the file lock
    b.commit()
    a.execute("BEGIN")  # a transaction already open: BEGIN IMMEDIATE fails and must not keep the lock
    with pytest.raises(Exception, match="within a transaction"):
        a.begin_write()
    a.rollback()
    b.begin_write()
    b.commit()
    assert b.execute("SELECT count(*) FROM t").fetchone() == (0,)
    a.close()
    b.close()


def test_a_writer_that_waits_too_long_gets_sqlites_busy_error_and_holds_nothing(database: Path) -> None:
    holder = connect(database)
    holder.begin_write()
    impatient = WriteLockedConnection(str(database), timeout=0.2, check_same_thread=False, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        impatient.begin_write()
    assert not impatient.in_transaction
    holder.commit()
    impatient.begin_write()  # the lock was not left half-taken
    impatient.commit()
    holder.close()
    impatient.close()


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_others(database: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[2]);"
         "from engine.writelock import WriteLockedConnection as C;"
         "c = C(sys.argv[1], isolation_level=None); c.begin_write(); print('held', flush=True); time.sleep(60)",
         str(database), str(Path(__file__).resolve().parents[2])],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        conn = connect(database)
        conn.begin_write()  # the kernel released the dead holder's file lock, SQLite its write lock
        conn.execute("INSERT INTO t (who) VALUES ('after')")
        conn.commit()
        conn.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_lock_file_it_may_only_read_still_serves_and_none_at_all_falls_back(database: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """flock needs no write access: a lock file this process may only read (another user's) still
    excludes writers; one it cannot open at all leaves SQLite's busy handler to do the waiting."""
    from engine import writelock

    real_open = os.open
    Path(f"{database}-writelock").touch()

    def read_only(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(writelock.os, "open", read_only)
    a, b = connect(database), connect(database)
    assert a._lock_fd is not None
    a.begin_write()
    assert not file_lock_is_free(database)
    a.commit()
    b.begin_write()
    b.commit()

    def refused(path: str, flags: int, mode: int = 0o777) -> int:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(writelock.os, "open", refused)
    c = connect(database)
    assert c._lock_fd is None
    c.begin_write()  # SQLite's own lock only
    c.execute("INSERT INTO t (who) VALUES ('c')")
    c.commit()
    for conn in (a, b, c):
        conn.close()


def test_engines_on_a_file_use_it_and_memory_databases_do_without(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")
    with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
        with conn.begin():
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, WriteLockedConnection) and raw._locked
        assert not raw._locked  # released with the commit
    assert (tmp_path / "e.sqlite-writelock").exists()
    engine.dispose()
    memory = WriteLockedConnection(":memory:", isolation_level=None)
    memory.begin_write()
    memory.commit()
    assert memory._lock_fd is None
    memory.close()

"""SQLite WAL checkpoints run in a background thread, not inside commits (engine.checkpoint)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from engine import checkpoint, db
from engine.checkpoint import Checkpointer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork")


def rows_in_database_file_alone(path: Path, tmp: Path) -> int:
    """What the database file holds without its WAL: a copy of the file alone, opened."""
    copy = tmp / f"copy-{time.monotonic_ns()}.sqlite"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        conn.close()


def wait_for(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def write(engine, value: int) -> None:  # type: ignore[no-untyped-def]
    with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t (x) VALUES (?)", (value,))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A checkpointer of the test's own, with the given thresholds, used by engines made after."""

    def make(every: int, idle: float) -> Checkpointer:
        mine = Checkpointer(every=every, idle=idle)
        monkeypatch.setattr(db, "checkpointer", mine)
        return mine

    return make


def make_table(path: Path):  # type: ignore[no-untyped-def]
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # not a write-lock transaction: not counted
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with sqlite3.connect(path) as conn:  # the empty table into the database file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return engine


def test_commits_only_append_to_the_wal_and_the_thread_checkpoints_after_every_nth(fresh, tmp_path: Path) -> None:
    mine = fresh(every=5, idle=60.0)
    path = tmp_path / "c.sqlite"
    engine = make_table(path)
    for i in range(4):
        write(engine, i)
    time.sleep(0.2)
    assert mine.done.get(str(path), 0) == 0
    assert rows_in_database_file_alone(path, tmp_path) == 0  # four commits, all still in the WAL
    write(engine, 4)
    assert wait_for(lambda: mine.done.get(str(path), 0) == 1)
    assert rows_in_database_file_alone(path, tmp_path) == 5
    with engine.connect() as conn:  # and the database reads the same as ever
        assert conn.exec_driver_sql("SELECT sum(x) FROM t").scalar() == 10
    engine.dispose()


def test_a_quiet_database_is_checkpointed_after_its_last_commit(fresh, tmp_path: Path) -> None:
    mine = fresh(every=1000, idle=0.2)
    path = tmp_path / "q.sqlite"
    engine = make_table(path)
    write(engine, 1)
    write(engine, 2)
    assert wait_for(lambda: mine.done.get(str(path), 0) >= 1)
    assert rows_in_database_file_alone(path, tmp_path) == 2
    engine.dispose()


def test_a_forked_worker_checkpoints_in_a_thread_of_its_own(fresh, tmp_path: Path) -> None:
    mine = fresh(every=3, idle=60.0)
    path = tmp_path / "f.sqlite"
    engine = make_table(path)
    write(engine, 1)  # the parent's thread is running
    engine.dispose()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked from a master that had written
        code = 1
        try:
            child = db.make_engine(f"sqlite:///{path}")
            for i in range(3):
                write(child, i)
            if wait_for(lambda: mine.done.get(str(path), 0) >= 1) and rows_in_database_file_alone(path, tmp_path) == 4:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert mine.done.get(str(path), 0) == 0  # the parent's count is its own: one commit, none done


def test_the_engines_raw_write_path_is_counted_too(fresh, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    from engine.runtime import Engine
    from tests.conftest import DATA, World

    mine = fresh(every=1, idle=60.0)
    path = tmp_path / "e.sqlite"
    db.upgrade(f"sqlite:///{path}")
    engine = Engine(f"sqlite:///{path}", clock=clock)
    world = World(engine)
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes())
    assert wait_for(lambda: mine.done.get(str(path), 0) >= 1)  # the ORM path's commits
    time.sleep(0.1)
    before = mine.done[str(path)]
    dossier = engine.start_dossier(world["clerk"], "T.000001", {"name": "Lê Thị Hoa"})  # the raw fast path
    assert wait_for(lambda: mine.done[str(path)] > before)
    with sqlite3.connect(tmp_path / "e.sqlite") as conn:
        assert conn.execute("SELECT code FROM dossiers").fetchall() == [(dossier.code,)]
    engine.close()


def test_a_failed_checkpoint_is_logged_and_creates_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gone = tmp_path / "gone.sqlite"
    assert Checkpointer().checkpoint(str(gone)) is False
    assert not gone.exists()
    assert "checkpoint" in caplog.text


def test_the_process_checkpointer_is_the_one_engines_use() -> None:
    assert db.checkpointer is checkpoint.checkpointer

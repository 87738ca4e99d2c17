"""Driver errors reach callers as the engine's errors: a lost race is retryable, a broken schema is not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from engine.accounts import Actor
from engine.db import database_errors
from engine.errors import RetryableConflict
from engine.runtime import Engine
from engine.settings import Settings


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error", [
    OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")),
    DBAPIError("UPDATE", {}, _PgError("40001")),  # serialization failure
    DBAPIError("UPDATE", {}, _PgError("40P01")),  # deadlock detected
    DBAPIError("SELECT … FOR UPDATE NOWAIT", {}, _PgError("55P03")),  # lock not available
])
def test_a_lost_race_is_retryable(error: DBAPIError):
    with pytest.raises(RetryableConflict), database_errors():
        raise error


@pytest.mark.parametrize("error", [
    OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: steps")),
    ProgrammingError("SELECT", {}, _PgError("42P01")),  # undefined_table
    DBAPIError("INSERT", {}, _PgError("23505")),  # unique violation the engine did not expect
])
def test_a_schema_or_logic_error_is_not_called_busy(error: DBAPIError):
    with pytest.raises(DBAPIError) as raised, database_errors():
        raise error
    assert not isinstance(raised.value, RetryableConflict)


def test_an_unmigrated_database_is_reported_as_it_is(tmp_path: Path):
    engine = Engine(f"sqlite:///{tmp_path / 'empty.sqlite'}", settings=Settings(password_hashing="minimal"))
    clerk = Actor(1, "clerk", "Clerk", 1, "X", "X", frozenset({"clerk"}))
    try:
        with pytest.raises(OperationalError, match="no such table"):
            engine.inbox(clerk)
        with pytest.raises(OperationalError, match="no such table"):
            engine.claim(clerk, 1)
    finally:
        engine.close()


def test_the_drawn_exception_tree_matches_the_classes():
    import engine.documents
    import engine.errors
    import engine.store

    drawn: dict[str, str] = {}
    parents: list[tuple[int, str]] = []
    for line in (engine.errors.__doc__ or "").splitlines():
        name = line.lstrip(" │├└─").split(" ")[0]
        if not name or not name[0].isupper() or ("─" not in line and name != "LienThongError"):
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        while parents and parents[-1][0] >= depth:
            parents.pop()
        if parents:
            drawn[name] = parents[-1][1]
        parents.append((depth, name))
    classes = {**vars(engine.errors), **vars(engine.store), **vars(engine.documents)}
    assert drawn and all(classes[child].__bases__[0].__name__ == parent for child, parent in drawn.items())
    tree = {n for n, c in vars(engine.errors).items() if isinstance(c, type) and issubclass(c, Exception)}
    assert tree - {"LienThongError"} <= set(drawn)

"""The hot path's SQL: Core statements compiled once per dialect and run on the DB-API connection.

A completion through the ORM spent about four fifths of its time in SQLAlchemy itself (session and
unit of work, per-call execution contexts, result processing), not in the database. Claim and
complete therefore run their handful of statements here: each :class:`Prepared` statement is
compiled once, keeps the column types' own bind and result processors (so values are stored and
read exactly as the ORM stores and reads them: UTC datetimes, JSON, numerics) and executes on the
pooled driver connection. :func:`raw_transaction` gives one write transaction, with the same
conflict mapping as :meth:`engine.runtime.Engine.transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine as SAEngine
from sqlalchemy import Float, Numeric, bindparam, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect

from engine.db import begin_write
from engine.errors import RetryableConflict
from engine.models import UTCDateTime

_RETRYABLE_STATES = {"40001", "40P01", "55P03"}
Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect, with its parameter order and value processors."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:
            raise ValueError("expanding parameters (IN lists) are not supported on the raw path")
        self.positional = dialect.paramstyle in ("qmark", "numeric", "format")
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else ()
        self.defaults: dict[str, Any] = {}
        self.binders: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required and bind.callable is None:
                self.defaults[name] = bind.value
            proc = _binder(bind.type, dialect)
            if proc is not None:
                self.binders[name] = proc
        #: (name, processor or None) in parameter order, for positional paramstyles.
        self.plan: tuple[tuple[str, Processor], ...] = tuple((n, self.binders.get(n)) for n in self.order)
        self.keys: tuple[str, ...] = tuple(col[0] for col in compiled._result_columns)
        procs: list[Processor] = [_reader(col[3], dialect) for col in compiled._result_columns]
        #: (column index, result processor) for the columns that need one.
        self.converted: list[tuple[int, Callable[[Any], Any]]] = [(i, p) for i, p in enumerate(procs) if p]

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            if self.defaults:
                values = {**self.defaults, **values}
            return [values[name] if proc is None else proc(values[name]) for name, proc in self.plan]
        merged = {**self.defaults, **values} if self.defaults else dict(values)
        for name, proc in self.binders.items():
            if name in merged:
                merged[name] = proc(merged[name])
        return merged


def _binder(type_: Any, dialect: Dialect) -> Processor:
    """The type's bind processor; for UTC datetimes on SQLite a direct format of the same text
    (the TypeDecorator and SQLAlchemy's %-format of seven fields: about 5x slower)."""
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc_text
    proc: Processor = type_._cached_bind_processor(dialect)
    return proc


def _sqlite_utc_text(value: Any) -> Any:
    if type(value) is not datetime or value.tzinfo is None:
        return _SQLITE_UTC_BIND(value)  # None, a naive datetime (refused), anything unusual
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _reader(type_: Any, dialect: Dialect) -> Processor:
    """The type's result processor; for UTC datetimes on SQLite a direct parse of the stored text
    (SQLAlchemy's own goes through a regular expression and a TypeDecorator: 5x slower)."""
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc
    coltype = None
    if dialect.name == "postgresql" and isinstance(type_, Numeric):
        coltype = 701 if isinstance(type_, Float) else 1700  # the OIDs psycopg reports for them
    proc: Processor = type_._cached_result_processor(dialect, coltype)
    return proc


def _sqlite_utc(value: Any) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return UTCDateTime().process_result_value(value, _SQLITE)  # type: ignore[return-value]


_SQLITE = sqlite_dialect.dialect()
_SQLITE_UTC_BIND: Callable[[Any], Any] = UTCDateTime()._cached_bind_processor(_SQLITE)  # type: ignore[assignment]
_ROW_CLASSES: dict[tuple[str, ...], type] = {}


def _row_class(keys: tuple[str, ...]) -> type:
    """A tuple subclass per column list: rows readable by position, ``row.name`` and ``row._mapping``."""
    cls = _ROW_CLASSES.get(keys)
    if cls is None:
        index = {k: i for i, k in enumerate(keys)}
        body: dict[str, Any] = {"__slots__": (), "_keys": keys, "_index": index,
                                "__getattr__": _getattr, "_asdict": _asdict, "_mapping": property(_asdict)}
        cls = _ROW_CLASSES[keys] = type("Row", (tuple,), body)
    return cls


def _getattr(self: Any, name: str) -> Any:
    try:
        return self[type(self)._index[name]]
    except KeyError:
        raise AttributeError(name) from None


def _asdict(self: Any) -> dict[str, Any]:
    return dict(zip(type(self)._keys, self, strict=True))


class Raw:
    """Statements of one transaction on one DB-API connection."""

    def __init__(self, connection: Any, dialect: Dialect, cache: dict[int, Prepared], batch: Any = None) -> None:
        self.connection = connection
        self.dialect = dialect
        self._cache = cache
        self.sqlite = dialect.name == "sqlite"
        #: The psycopg pipeline the whole transaction runs in (PostgreSQL), else None.
        self._batch: _Batch | None = batch

    def finish(self) -> None:
        """PostgreSQL: send COMMIT with everything queued and wait for all the answers, in one
        round trip; the answers of :meth:`later` statements can be read afterwards (statements run
        after it are autocommitted reads). A statement that failed on the server (e.g. an
        expectation of ``lienthong_expect_one``) raises here, and nothing is committed. SQLite:
        nothing (every statement has already run; the block's end commits)."""
        if self._batch is not None and self._batch.open:
            self._batch.commit()

    def sync(self) -> None:
        """PostgreSQL in a pipeline: send what is queued and wait for every answer (the
        transaction stays open). Needed only for a row count; a fetch waits for its own rows."""
        if self._batch is not None and self._batch.open:
            self._batch.pipeline.sync()

    def prepared(self, statement: Any) -> Prepared:
        found = self._cache.get(id(statement))
        if found is None:
            found = self._cache[id(statement)] = Prepared(statement, self.dialect)
            found.statement = statement  # type: ignore[attr-defined]  # keep the id alive
        return found

    def execute(self, statement: Any, values: Mapping[str, Any] | None = None) -> Any:
        prep = self.prepared(statement)
        cur = self.connection.cursor()
        cur.execute(prep.sql, prep.params(values or {}))
        return cur

    def run(self, statement: Any, values: Mapping[str, Any] | None = None) -> Any:
        """Execute a statement whose rows are not wanted; returns the cursor (for ``rowcount``)."""
        cur = self.execute(statement, values)
        if self._batch is None:  # a pipelined cursor stays open: closing it drops its rowcount
            cur.close()
        return cur

    def rowcount(self, statement: Any, values: Mapping[str, Any] | None = None) -> int:
        cur = self.execute(statement, values)
        self.sync()
        count: int = cur.rowcount
        cur.close()
        return count

    def first(self, statement: Any, values: Mapping[str, Any] | None = None) -> Any:
        prep = self.prepared(statement)
        cur = self.connection.cursor()
        cur.execute(prep.sql, prep.params(values or {}))
        raw = cur.fetchone()
        cur.close()
        return None if raw is None else _make_row(prep, raw)

    def all(self, statement: Any, values: Mapping[str, Any] | None = None) -> list[Any]:
        prep = self.prepared(statement)
        cur = self.connection.cursor()
        cur.execute(prep.sql, prep.params(values or {}))
        rows = [_make_row(prep, raw) for raw in cur.fetchall()]
        cur.close()
        return rows

    def later(self, statement: Any, values: Mapping[str, Any] | None = None) -> Pending:
        """Execute now, read the answer later: on PostgreSQL (where the whole transaction is one
        pipeline) the statement joins the batch and its rows (or row count) are read once the batch
        has come back, so several statements share one round trip. On SQLite it is read at once."""
        prep = self.prepared(statement)
        pending = Pending(prep, self.execute(statement, values), self)
        if self._batch is None:
            pending.resolve()
        return pending

    def many(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) <= 1:  # one row: a plain execute (psycopg's executemany sets up a pipeline)
            if rows:
                self.run(statement, rows[0])
            return
        prep = self.prepared(statement)
        cur = self.connection.cursor()
        cur.executemany(prep.sql, [prep.params(r) for r in rows])
        cur.close()


class Pending:
    """The answer of a statement run by :meth:`Raw.later`: its rows, or its row count."""

    __slots__ = ("_cursor", "_prep", "_raw", "_rowcount", "_rows")

    def __init__(self, prep: Prepared, cursor: Any, raw: Raw) -> None:
        self._prep, self._cursor, self._raw = prep, cursor, raw
        self._rows: list[Any] | None = None
        self._rowcount = -1

    def resolve(self) -> None:
        if self._rows is not None:
            return
        cur = self._cursor
        if self._prep.keys:
            self._rows = [_make_row(self._prep, raw) for raw in cur.fetchall()]
        else:
            self._raw.sync()  # a statement without rows: only a sync brings its count
            self._rows = []
        self._rowcount = cur.rowcount
        cur.close()

    def rows(self) -> list[Any]:
        self.resolve()
        assert self._rows is not None
        return self._rows

    def first(self) -> Any:
        rows = self.rows()
        return rows[0] if rows else None

    @property
    def rowcount(self) -> int:
        self.resolve()
        return self._rowcount


def _make_row(prep: Prepared, raw: Sequence[Any]) -> Any:
    cls = _row_class(prep.keys)
    if not prep.converted:
        return cls(raw)
    values = list(raw)
    for i, proc in prep.converted:
        value = values[i]
        if value is not None:
            values[i] = proc(value)
    return cls(values)


def insert_of(table: Any, columns: Sequence[str]) -> Any:
    """An INSERT of exactly these columns, each bound by its own name (no implicit RETURNING)."""
    return insert(table).inline().values({name: bindparam(name) for name in columns})


@contextmanager
def raw_transaction(engine: SAEngine, cache: dict[int, Prepared], *, write: bool = True) -> Iterator[Raw]:
    """One transaction on a pooled driver connection: commit on success, else roll back.

    On SQLite a write transaction takes the write lock at its start (``BEGIN IMMEDIATE``), as
    every write transaction of the engine does, and a read (``write=False``) reads one WAL
    snapshot without blocking anyone; on PostgreSQL writers of a dossier queue on its row lock.
    Lock timeouts, serialization failures and deadlocks surface as RetryableConflict.
    """
    pooled = engine.raw_connection()
    conn: Any = pooled.driver_connection
    sqlite_db = engine.dialect.name == "sqlite"
    try:
        if not sqlite_db:
            with _pipelined_transaction(conn, pooled) as batch:
                yield Raw(conn, engine.dialect, cache, batch)
            return
        try:
            if write:
                begin_write(conn)
            else:
                conn.execute("BEGIN")
            yield Raw(conn, engine.dialect, cache)
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:
                pooled.invalidate()
            raise
    except sqlite3.OperationalError as exc:
        raise RetryableConflict(f"Cơ sở dữ liệu bận, hãy thử lại (database busy): {exc}") from exc
    except Exception as exc:
        state = getattr(exc, "sqlstate", None)
        if state in _RETRYABLE_STATES:
            raise RetryableConflict("Xung đột đồng thời, hãy thử lại") from exc
        if type(exc).__module__.startswith("psycopg") and _is_operational(exc):
            pooled.invalidate()
            raise RetryableConflict(f"Cơ sở dữ liệu bận, hãy thử lại (database busy): {exc}") from exc
        raise
    finally:
        pooled.close()


class _Batch:
    """The pipeline a PostgreSQL transaction runs in, from its BEGIN to its COMMIT."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.pipeline = conn.pipeline()
        self.pipeline.__enter__()
        self.open = True

    def commit(self) -> None:
        """COMMIT, and leave the pipeline: one Sync, after which every answer is in its cursor."""
        if self.open:
            self.conn.execute("COMMIT")
            self.close(None)

    def close(self, exc: BaseException | None) -> None:
        if self.open:
            self.open = False
            self.pipeline.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


@contextmanager
def _pipelined_transaction(conn: Any, pooled: Any) -> Iterator[_Batch]:
    """A PostgreSQL transaction run in psycopg's pipeline mode from BEGIN to COMMIT.

    Statements are sent without waiting for their answers; only a fetch (or a row count) waits,
    for everything sent before it. BEGIN is an ordinary statement of the batch (the connection is
    in autocommit mode for the duration, so psycopg does not send a BEGIN of its own and wait for
    it), and COMMIT leaves with the last batch (at the block's end, or earlier by
    :meth:`Raw.finish`), whose Sync also ends the pipeline: an ordinary completion takes two round
    trips, a claim one. Any failure rolls back; a connection that cannot is discarded.
    """
    from psycopg import pq

    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        conn.rollback()
    conn.autocommit = True
    batch: _Batch | None = None
    try:
        batch = _Batch(conn)
        conn.execute("BEGIN")
        yield batch
        batch.commit()  # nothing when Raw.finish has committed
    except BaseException as exc:
        try:
            if batch is not None:
                batch.close(exc)
            if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
        except Exception:
            pooled.invalidate()
        raise
    finally:
        if not conn.closed:
            try:
                conn.autocommit = False
            except Exception:
                pooled.invalidate()


def _is_operational(exc: Exception) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError)


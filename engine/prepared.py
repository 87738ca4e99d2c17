"""Statements built once, compiled once per dialect, run on the driver's cursor.

The engine's hot statements (a step's claim and completion, the dossier's lock, its step rows,
the event log and the outbox, the dossier's view) are module-level SQLAlchemy Core constructs.
``conn.execute`` spends 20–60 µs a statement on top of the driver (the cache key, the parameters,
the result machinery): a third of a completion's time on SQLite. ``Prepared`` compiles each
construct once per dialect and set of column keys with SQLAlchemy's own compiler, keeps the SQL
text, the parameter order and the types' bind and result processors, and runs it on the cursor
of the unit's connection, inside the same transaction. Driver errors are raised as SQLAlchemy's
(``DBAPIError`` and its subclasses, a broken connection invalidated), and the engine's
``before_cursor_execute``/``after_cursor_execute`` listeners still see every statement.
"""

from __future__ import annotations

import threading
from collections import namedtuple as _make_namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

Params = Mapping[str, Any]


@dataclass
class _Form:
    """One compiled form of a statement: what the driver is given, and how values are converted."""

    sql: str
    names: Sequence[str]  # the parameters, in their order for a positional driver
    positional: bool
    constants: dict[str, Any]  # values fixed in the statement (literals, IN lists), by parameter name
    defaults: dict[str, Callable[[], Any]]  # Python-side column defaults of an INSERT, by parameter name
    bind: dict[str, Callable[[Any], Any]]  # the types' bind processors, by parameter name
    columns: tuple[str, ...]  # result column names
    types: tuple[Any, ...]  # the result columns' types, in the dialect's implementation
    row: Any  # a namedtuple class
    #: (column index, result processor) of the columns whose type converts what the driver gives:
    #: made at the first run, from the driver's description of the columns (PostgreSQL's numeric
    #: types need it).
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


class Result:
    """The rows a statement returned (fetched at once: the hot statements return a handful)."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def all(self) -> list[Any]:
        return self.rows

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


_namedtuple: Any = _make_namedtuple  # its field names are known only at run time here


def _row_class(columns: tuple[str, ...]) -> type:
    base: Any = _namedtuple("Row", columns, rename=True)

    class Row(base):  # type: ignore[misc]
        """A result row: by attribute, by position, or as a mapping (``row._mapping``)."""

        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(columns, self, strict=True))

    return Row


class Prepared:
    """A Core statement run on the driver's cursor (see the module docstring). Thread-safe."""

    def __init__(self, statement: Any = None, *, per_dialect: Callable[[str], Any] | None = None) -> None:
        """``statement``, or ``per_dialect``: a function of the dialect's name giving its statement
        (an ``INSERT … ON CONFLICT``, whose construct differs between the two databases)."""
        if (statement is None) == (per_dialect is None):
            raise TypeError("give a statement or a per_dialect function")
        self.statement = statement
        self.per_dialect = per_dialect
        self._forms: dict[tuple[str, str, str, frozenset[str] | None, bool], _Form] = {}
        self._lock = threading.Lock()

    def _form(self, dialect: Dialect, keys: frozenset[str] | None, many: bool) -> _Form:
        key = (dialect.name, dialect.driver, dialect.paramstyle, keys, many)
        found = self._forms.get(key)
        if found is None:
            statement = self.statement if self.per_dialect is None else self.per_dialect(dialect.name)
            found = _compile(statement, dialect, keys, many)
            with self._lock:
                self._forms[key] = found
        return found

    def execute(self, conn: Connection, params: Params | None = None, *, columns: bool = False) -> Result:
        """Run with ``params``, in the connection's transaction; outside one, the statement runs on
        its own as the driver runs it (a single read needs no more). ``columns``: the parameters
        name the columns an INSERT/UPDATE sets (one compiled form per set of names), else the
        statement's own columns and parameters hold."""
        params = params or {}
        form = self._form(conn.dialect, frozenset(params) if columns else None, False)
        values = _values(form, params)
        return _run(conn, form, values, many=False)

    def executemany(self, conn: Connection, rows: Sequence[Params]) -> None:
        """Run once per row of parameters (every row names the same columns)."""
        if not rows:
            return
        form = self._form(conn.dialect, frozenset(rows[0]), True)
        _run(conn, form, [_values(form, row) for row in rows], many=True)


def _compile(statement: Any, dialect: Dialect, keys: frozenset[str] | None, many: bool) -> _Form:
    exported = list(getattr(statement, "exported_columns", ()))
    # An INSERT returns only what it says (PostgreSQL's compiler would add RETURNING of the key).
    plain_insert = bool(getattr(statement, "is_insert", False)) and not exported
    compiler = dialect.statement_compiler(dialect, statement, column_keys=sorted(keys) if keys is not None else None,
                                          for_executemany=many or plain_insert)
    unset = {b.key: None for b in compiler.binds.values() if b.required or b.callable is not None}
    expanded = compiler.construct_expanded_state(unset)
    constants = {name: value for name, value in expanded.parameters.items() if name not in unset}
    defaults: dict[str, Callable[[], Any]] = {}
    for column in getattr(compiler, "insert_prefetch", ()):
        default = column.default
        if default is None or not (default.is_scalar or default.is_callable):
            raise ValueError(f"column {column.key}: give its value (its default runs in SQL)")
        name = column.key
        defaults[name] = _constant(default.arg) if default.is_scalar else _called(default.arg)
        constants.pop(name, None)
    bind: dict[str, Callable[[Any], Any]] = {}
    for name in expanded.parameters:
        bindparam = compiler.binds.get(name)
        processor = bindparam.type.dialect_impl(dialect).bind_processor(dialect) if bindparam is not None else None
        if processor is not None:
            bind[name] = processor
    columns = tuple(str(c.key) for c in exported)
    types = tuple(c.type.dialect_impl(dialect) for c in exported)
    positional = bool(dialect.positional and expanded.positiontup is not None)
    names = tuple(expanded.positiontup or ()) if positional else tuple(expanded.parameters)
    return _Form(expanded.statement, names, positional, constants, defaults, bind, columns, types,
                 _row_class(columns))


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _called(fn: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: fn(None)  # SQLAlchemy wraps a column's default function to take an execution context


def _values(form: _Form, params: Params) -> Any:
    values = {**form.constants, **params}
    for name, make in form.defaults.items():
        if name not in values:
            values[name] = make()
    for name, processor in form.bind.items():
        if name in values:
            values[name] = processor(values[name])
    try:
        if form.positional:
            return tuple(values[name] for name in form.names)
        return {name: values[name] for name in form.names}
    except KeyError as missing:
        raise ValueError(f"no value for the parameter {missing} of: {form.sql}") from None


def _run(conn: Connection, form: _Form, values: Any, *, many: bool) -> Result:
    dbapi_conn: Any = conn.connection.dbapi_connection
    dispatch: Any = conn.dispatch
    cursor = dbapi_conn.cursor()
    try:
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(conn, cursor, form.sql, values, None, many)
        if many:
            cursor.executemany(form.sql, values)
        else:
            cursor.execute(form.sql, values)
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(conn, cursor, form.sql, values, None, many)
        rows: list[Any] = []
        if form.columns:
            processors, make = form.results, form.row._make
            if processors is None:
                found = (kind.result_processor(conn.dialect, described[1])
                         for kind, described in zip(form.types, cursor.description, strict=True))
                processors = form.results = tuple((i, p) for i, p in enumerate(found) if p is not None)
            if processors:
                for raw in cursor.fetchall():
                    values = list(raw)
                    for i, processor in processors:
                        values[i] = processor(values[i])
                    rows.append(make(values))
            else:
                rows = [make(raw) for raw in cursor.fetchall()]
        return Result(rows, cursor.rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        invalidated = conn.dialect.is_disconnect(exc, dbapi_conn, cursor)
        if invalidated:
            conn.invalidate(exc)
        raise DBAPIError.instance(form.sql, values, exc, conn.dialect.loaded_dbapi.Error,
                                  connection_invalidated=invalidated, dialect=conn.dialect) from exc
    finally:
        cursor.close()

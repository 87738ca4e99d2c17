"""Everything that differs between SQLite and PostgreSQL lives here: connections, the dialect's
INSERT … ON CONFLICT, the mapping of driver errors onto the engine's errors; and migrations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import BigInteger, Connection, Engine, Text, case, cast, create_engine, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import RetryableConflict
from engine.writelock import WriteLockedConnection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Execution option marking a connection whose transaction will write (see _configure_sqlite).
WRITE_OPTION = "lienthong_write"


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_dumps(value: Any) -> str:
    """JSON column text on SQLite: orjson (several times faster than ``json.dumps`` on the small
    dicts of form data and event details), compact and UTF-8 instead of ASCII-escaped, which reads
    back to the same values. Datetimes and dataclasses are refused as ``json.dumps`` refuses them;
    what orjson cannot write (an integer beyond 64 bits) goes through ``json.dumps``."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError included
        return json.dumps(value)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an SQLAlchemy engine; on SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("json_serializer", json_dumps)
        connect_args = {"timeout": 30, "check_same_thread": False, "factory": WriteLockedConnection}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


#: A pooled connection idle longer than this is pinged before use (seconds).
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has sat idle (IDLE_PING_SECONDS).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per transaction, about
    8 % of an API step on PostgreSQL. A connection that was in use a moment ago is alive; one that
    sat idle (a restarted server, a firewall dropping quiet connections) is pinged, and a dead one
    is replaced before the transaction starts. A connection dying between uses within the window
    fails that one action with a retryable error and is discarded.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure to answer means: replace the connection
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit the BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock at its start: read-modify-write actions
        # (claim, complete, dossier codes) are then serialised across threads and processes, and
        # never have to upgrade a read lock halfway (which SQLite refuses with BUSY). Reads begin
        # deferred and see a WAL snapshot without blocking anyone.
        if conn.get_execution_options().get(WRITE_OPTION):
            begin_write(conn.connection.dbapi_connection)
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write(dbapi_conn: Any) -> None:
    """``BEGIN IMMEDIATE`` on a SQLite connection, queued on the write-lock file (engine.writelock)."""
    if isinstance(dbapi_conn, WriteLockedConnection):
        dbapi_conn.begin_write()
    else:
        dbapi_conn.execute("BEGIN IMMEDIATE")


def dialect_insert(session: Session | Connection) -> Any:
    """The dialect's INSERT construct (both offer ``on_conflict_do_nothing`` / ``_do_update``)."""
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    return insert_for(dialect.name)


def insert_for(dialect_name: str) -> Any:
    """The INSERT construct of the dialect of this name (for a statement built once per dialect)."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def insert_ignoring(session: Session | Connection, table: Any, *,
                    index_elements: Sequence[str] | None = None) -> Any:
    """INSERT … ON CONFLICT DO NOTHING (idempotent, safe under concurrency)."""
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    return insert_ignoring_in(dialect.name, table, index_elements=index_elements)


def insert_ignoring_in(dialect_name: str, table: Any, *, index_elements: Sequence[str] | None = None) -> Any:
    """``insert_ignoring`` for the dialect of this name (a statement built once per dialect)."""
    return insert_for(dialect_name)(table).on_conflict_do_nothing(index_elements=index_elements)


def is_sqlite(session: Session | Connection) -> bool:
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    return dialect.name == "sqlite"


def json_array(session: Session, column: Any) -> Any:
    """An aggregate of ``column`` over the query's rows as JSON array text (NULL or '[]' when none)."""
    if is_sqlite(session):
        return func.json_group_array(column)
    return cast(func.json_agg(column), Text)


def integer_list(session: Session, column: Any) -> Any:
    """An aggregate of a never-NULL integer ``column`` over the query's rows as comma-separated text (NULL when
    none): a third cheaper than JSON for the database to build, and read by numpy without a Python int per value.
    Its order is the rows' order, as :func:`json_array`'s over the same query."""
    if is_sqlite(session):
        return func.group_concat(column, ",")
    return func.string_agg(cast(column, Text), ",")


def epoch_seconds(session: Session, column: Any) -> Any:
    """The column's instant as whole epoch seconds, rounded up as the calendar rounds, computed by the database
    (reading a million timestamps as Python datetimes costs seconds; as integers, a fraction)."""
    if is_sqlite(session):  # stored as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
        whole = cast(func.strftime("%s", column), BigInteger)
        return whole + case((func.substr(column, 21) > "000000", 1), else_=0)
    # date_part gives a double (extract gives numeric, a third slower over a year of steps); at microsecond
    # resolution the double's ceiling equals the exact one (checked over two million instants).
    return cast(func.ceil(func.date_part("epoch", column)), BigInteger)


#: PostgreSQL SQLSTATEs of a transaction that lost a race and may simply be run again:
#: serialization failure, deadlock detected, lock not available.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
#: SQLite's messages for the same (another writer holds the database).
_RETRYABLE_SQLITE = ("database is locked", "database table is locked", "database is busy")


@contextmanager
def database_errors() -> Iterator[None]:
    """Map the driver's errors onto the engine's tree (as httpx's ``map_exceptions``).

    A lost race (a lock, a serialization failure, a deadlock) becomes RetryableConflict; anything
    else (a missing table, a broken schema, a constraint the engine did not expect) is raised as it
    is: retrying would not help, and the operator must see it.
    """
    try:
        yield
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in _RETRYABLE_SQLSTATES:
            raise RetryableConflict("Xung đột đồng thời, hãy thử lại") from exc
        message = str(exc.orig).lower()
        if isinstance(exc, OperationalError) and any(m in message for m in _RETRYABLE_SQLITE):
            raise RetryableConflict("Cơ sở dữ liệu bận, hãy thử lại") from exc
        if exc.connection_invalidated:
            raise RetryableConflict("Mất kết nối cơ sở dữ liệu, hãy thử lại") from exc
        raise


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic migrations (what ``lienthong init-db`` does)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

"""Database connection: SQLite (WAL) or PostgreSQL through SQLAlchemy; migrations."""

from __future__ import annotations

import json
import os
import time
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from engine.checkpoint import checkpointer
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
    database = engine.url.database
    # Checkpoints run in a background thread (engine.checkpoint); the connections' own automatic
    # checkpoint, at 20,000 pages (80 MB of WAL), is only a safety net.
    counted = (partial(checkpointer.committed, os.path.abspath(database))
               if database and database != ":memory:" and not database.startswith("file:") else None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit the BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA wal_autocheckpoint=20000")
        cur.close()
        if counted is not None and isinstance(dbapi_conn, WriteLockedConnection):
            dbapi_conn.after_write_commit = counted

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

"""Shared fixtures: a migrated database (SQLite per test, or PostgreSQL when asked), a fake clock."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine import accounts, db
from engine.runtime import Engine

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("LIENTHONG_TEST_DATABASE_URL", "")
PASSWORD = "mat-khau-thu-nghiem"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server to test against, the tests that need one are skipped, saying why."""
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set LIENTHONG_TEST_DATABASE_URL "
                                   "(`make test` starts a throwaway server when none is running)")
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)


class FakeClock:
    """A clock tests move by hand: time travel instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = when.astimezone(UTC)
        return self.now


def vn(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    if not PG_URL:
        yield ""
        return
    name = f"lienthong_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture
def db_url(tmp_path: Path, _sqlite_template: Path, _pg_database: str) -> str:
    """A freshly migrated, empty database for one test (PostgreSQL when LIENTHONG_TEST_DATABASE_URL is set)."""
    if _pg_database:
        _truncate_pg(_pg_database)
        return _pg_database
    path = tmp_path / "lienthong.sqlite"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(vn(2026, 3, 2, 8, 0))  # a Monday morning, working time


@pytest.fixture
def engine(db_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(db_url, clock=clock)
    yield eng
    eng.close()


class World:
    """Agencies and officials for the three-agency test diagram."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.actors: dict[str, Any] = {}
        now = engine.now()
        with engine.transaction() as s:
            accounts.add_agency(s, "000.00.15.H12", "Bộ phận Một cửa", now=now)
            accounts.add_agency(s, "PCM", "Phòng chuyên môn", now=now)
            accounts.add_agency(s, "CA", "Công an tỉnh", now=now)
            accounts.add_agency(s, "LD", "Lãnh đạo", now=now)
            for username, agency, roles in [
                ("clerk", "000.00.15.H12", "clerk"), ("clerk2", "000.00.15.H12", "clerk"),
                ("officer", "PCM", "officer"), ("officer2", "PCM", "officer"), ("lead_pcm", "PCM", "leader"),
                ("police", "CA", "officer"), ("leader", "LD", "leader"), ("designer", "PCM", "designer"),
            ]:
                self.actors[username] = accounts.add_official(
                    s, username, full_name=username.title(), agency_code=agency, roles=roles,
                    password=PASSWORD, now=now)

    def __getitem__(self, name: str) -> Any:
        return self.actors[name]


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine)


@pytest.fixture
def deployed(engine: Engine, world: World) -> str:
    result = engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn")
    return result.code


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> Any:
    """The Flask app on the test database and fake clock (CSRF on, as in production)."""
    from webui import create_app

    return create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                       "DOCUMENT_DIR": str(tmp_path / "documents"),
                       "DATABASE_URL": str(engine.db.url.render_as_string(hide_password=False))})


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()

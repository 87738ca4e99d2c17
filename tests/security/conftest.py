"""Security-suite fixtures: an outside agency, an all-roles official, an admin, a database snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from engine import accounts
from tests.conftest import PASSWORD


@pytest.fixture
def outsiders(engine: Any, world: Any) -> dict[str, Any]:
    """Officials of an agency that takes part in no dossier (clerk, officer, leader)."""
    out = {}
    with engine.transaction() as s:
        accounts.add_agency(s, "KHAC", "Sở Khác", now=engine.now())
        for username, roles in (("out_clerk", "clerk"), ("out_officer", "officer"), ("out_leader", "leader")):
            out[username] = accounts.add_official(s, username, full_name=username.title(), agency_code="KHAC",
                                                  roles=roles, password=PASSWORD, now=engine.now())
    return out


@pytest.fixture
def admin(engine: Any, world: Any) -> Any:
    with engine.transaction() as s:
        return accounts.add_official(s, "admin", full_name="Quản trị viên", agency_code="000.00.15.H12",
                                     roles="admin", password=PASSWORD, now=engine.now())


@pytest.fixture
def boss(engine: Any, world: Any) -> Any:
    """An official holding every role, so that no role guard stands between a request and its check."""
    with engine.transaction() as s:
        return accounts.add_official(s, "boss", full_name="Boss", agency_code="000.00.15.H12",
                                     roles=",".join(accounts.ROLES), password=PASSWORD, now=engine.now())


@pytest.fixture
def data_dir(app: Any, tmp_path: Path) -> Path:
    app.config["DATA_DIR"] = str(tmp_path / "data")
    return tmp_path / "data"


def snapshot(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a refused request changed nothing at all."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.db.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out

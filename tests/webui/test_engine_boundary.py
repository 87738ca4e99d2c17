"""The web layer talks to the engine only through its public API (``engine.__all__``): no engine module
imported directly, no SQLAlchemy, no database session or transaction opened by a page."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine

WEBUI = Path(__file__).resolve().parents[2] / "webui"
SOURCES = sorted(WEBUI.rglob("*.py"))
#: Engine attributes that hand out the database itself.
DATABASE_HANDLES = {"Session", "transaction", "db", "lock_dossier"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("engine", "sqlalchemy"):
                    out.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] == "sqlalchemy" or module.startswith("engine."):
                out.append(f"line {node.lineno}: from {module} import …")
            elif module == "engine":
                out += [f"line {node.lineno}: engine.{a.name} is not in engine.__all__"
                        for a in node.names if a.name not in engine.__all__]
        elif isinstance(node, ast.Attribute) and node.attr in DATABASE_HANDLES:
            out.append(f"line {node.lineno}: .{node.attr} (the database belongs to the engine)")
    return out


def test_the_walk_sees_the_web_modules():
    assert {"api.py", "auth.py", "admin.py", "dossiers.py"} <= {p.name for p in SOURCES}


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_a_web_module_uses_only_the_engines_public_api(path):
    assert _problems(path) == []


@pytest.mark.parametrize("source", [
    "from engine import models", "from engine.models import Dossier", "import engine.search",
    "from sqlalchemy import select", "from sqlalchemy.orm import Session", "import sqlalchemy",
    "def f(e):\n    with e.Session() as s:\n        pass", "def f(e):\n    with e.transaction() as s:\n        pass",
    "from engine import search",
])
def test_the_check_catches_each_way_round_it(tmp_path, source):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert _problems(path)


def test_the_public_api_is_sorted_and_every_name_exists():
    assert engine.__all__ == sorted(engine.__all__)
    assert all(hasattr(engine, name) for name in engine.__all__)
    assert "models" not in engine.__all__ and "Session" not in engine.__all__

"""The layering holds: engine/ never imports Flask or the web UI; the public API is what it says."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = ("flask", "flask_login", "flask_wtf", "flask_babel", "werkzeug", "webui")


def test_engine_sources_never_import_flask_or_webui():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ENGINE.parent)}:{node.lineno} imports {name}")
    assert offenders == []


def test_importing_the_whole_engine_loads_no_flask():
    modules = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module('engine.' + m)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'webui', 'werkzeug')]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_is_sorted_and_importable():
    import engine

    assert engine.__all__ == sorted(engine.__all__)
    for name in engine.__all__:
        assert getattr(engine, name) is not None


def _engine_imports() -> dict[str, set[str]]:
    """engine module → the engine modules it imports, at module level or inside functions
    (imports under ``if TYPE_CHECKING:`` are for annotations only and do not count)."""
    graph: dict[str, set[str]] = {}
    for path in ENGINE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ENGINE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{a.name}" for a in node.names)
        graph[name] = {t for t in targets if t.startswith("engine.") and t != name}
    known = set(graph)
    return {m: {t for t in ts if t in known and t != "engine"} for m, ts in graph.items()}


def test_no_import_cycle_among_engine_modules():
    """Counting imports done inside functions: a cycle hidden in a function is still a cycle."""
    graph = _engine_imports()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(" → ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state and module != "engine":
            visit(module)
    assert cycles == []


def test_no_private_name_is_imported_across_modules():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []


def test_the_engine_is_no_mixin_and_casts_nothing():
    sources = {p.name: p.read_text(encoding="utf-8") for p in ENGINE.rglob("*.py")}
    assert [n for n, s in sources.items() if "Mixin" in s or 'cast("Engine"' in s] == []

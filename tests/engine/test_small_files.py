"""House rule: small files. Every source file of the product, its tests, tools and benchmarks stays
below 600 lines (split along a seam that explains itself, as engine/validation*.py do)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600
SOURCES = ("engine", "webui", "tests", "tools", "benchmarks")
#: Built or vendored, not written by hand: the modeller's bundle (from webui/frontend/src).
GENERATED = {"webui/static/modeler/modeler.js"}


def test_every_source_file_is_below_600_lines() -> None:
    long_files = []
    for top in SOURCES:
        for folder, dirs, files in os.walk(ROOT / top):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
            for file in files:
                path = Path(folder, file)
                name = path.relative_to(ROOT).as_posix()
                if path.suffix not in {".py", ".js", ".css", ".html"} or name in GENERATED:
                    continue
                with path.open("rb") as f:
                    lines = sum(1 for _ in f)
                if lines >= LIMIT:
                    long_files.append(f"{name}: {lines} lines")
    assert sorted(long_files) == []

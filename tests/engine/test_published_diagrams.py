"""diagrams/ holds the flowchart of every procedure in workflows/, made from the current files."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.publish import publish_diagrams, stale_diagrams

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("svg", "pdf")


def test_published_flowcharts_are_up_to_date():
    sources = sorted((ROOT / "workflows").glob("*.bpmn"))
    assert len(sources) >= 8
    stale = stale_diagrams(sources, ROOT / "diagrams", FORMATS)
    assert stale == [], f"stale flowcharts {stale}: run `make diagrams` and commit diagrams/"


def test_a_changed_procedure_makes_its_flowchart_stale(tmp_path: Path):
    src = tmp_path / "wf"
    src.mkdir()
    original = sorted((ROOT / "workflows").glob("*.bpmn"))[0]
    copy = src / original.name
    shutil.copy(original, copy)
    out = tmp_path / "out"
    out.mkdir()
    assert publish_diagrams([copy], out, ["svg"]) == []
    assert stale_diagrams([copy], out, ["svg"]) == []
    assert (out / f"{copy.stem}.svg").read_bytes().startswith(b"<?xml")
    copy.write_bytes(copy.read_bytes().replace(b"</bpmn:definitions>", b"<!-- changed -->\n</bpmn:definitions>"))
    assert stale_diagrams([copy], out, ["svg"]) == [copy.name]
    (out / f"{copy.stem}.svg").unlink()
    assert publish_diagrams([copy], out, ["svg"]) == []
    assert stale_diagrams([copy], out, ["svg"]) == []

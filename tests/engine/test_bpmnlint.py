"""The shipped diagrams pass bpmnlint (pinned in webui/frontend/package-lock.json, rules in
webui/frontend/.bpmnlintrc): every element drawn, no two shapes overlapping, no duplicate flows."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import ROOT

FRONTEND = ROOT / "webui" / "frontend"
BPMNLINT = FRONTEND / "node_modules" / "bpmnlint" / "bin" / "bpmnlint.js"


def _lint(path: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None, "Node.js is missing: bpmnlint needs it (Debian package nodejs)"
    assert BPMNLINT.exists(), "bpmnlint is not installed: run `make setup` (npm ci in webui/frontend)"
    return subprocess.run([node, str(BPMNLINT), path], cwd=FRONTEND, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_shipped_diagrams_pass_bpmnlint():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        result = _lint(str(path))
        assert result.returncode == 0 and "error" not in result.stdout, f"{path.name}:\n{result.stdout}"


def test_bpmnlint_refuses_a_diagram_without_its_layout():
    result = _lint(str(ROOT / "tests" / "data" / "three_agencies.bpmn"))
    assert result.returncode != 0 and "no-bpmndi" in result.stdout

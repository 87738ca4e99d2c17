"""The `lienthong` command line, run as a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

BIN = Path(sys.executable).with_name("lienthong")
MIWG = ROOT.parent / "shared" / "conformance" / "miwg"


def run(*args: str, url: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, env=env, timeout=300,
                          check=False)


def test_validate_is_clean_on_the_shipped_procedures():
    result = run("validate", *sorted(str(p) for p in (ROOT / "workflows").glob("*.bpmn")))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_validate_reports_each_problem_on_one_line_and_exits_1(tmp_path: Path):
    broken = tmp_path / "broken.bpmn"
    source = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")
    broken.write_text(source.replace('<camunda:property name="working_days" value="2" />', ""), encoding="utf-8")
    garbage = tmp_path / "garbage.bpmn"
    garbage.write_bytes(b"<bpmn:definitions><unclosed>")
    result = run("validate", str(broken), str(garbage), str(tmp_path / "missing.bpmn"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{broken}:") and "ERROR [Examine]" in line and "working_days" in line
               for line in lines)
    assert any(line.startswith(f"{garbage}:1: ERROR") for line in lines)
    assert any(line.startswith(f"{tmp_path / 'missing.bpmn'}:0: ERROR") for line in lines)


def test_validate_reads_every_miwg_model_without_a_traceback():
    files = sorted(str(p) for p in MIWG.glob("*.bpmn"))
    assert len(files) == 21
    result = run("validate", *files)
    assert "Traceback" not in result.stdout + result.stderr
    for line in result.stdout.splitlines():
        assert line.split(":", 2)[0] in files and (": ERROR" in line or ": WARNING" in line)


def test_init_agencies_users_deploy_and_due(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    assert run("init-db", url=url).returncode == 0
    assert run("agency", "add", "MC", "--name", "Bộ phận Một cửa", url=url).returncode == 0
    for code, name in (("PCM", "Phòng chuyên môn"), ("CA", "Công an"), ("LD", "Lãnh đạo")):
        assert run("agency", "add", code, "--name", name, "--parent", "MC", url=url).returncode == 0
    listed = run("agency", "list", url=url)
    assert "PCM\tPhòng chuyên môn\tMC" in listed.stdout
    duplicate = run("agency", "add", "MC", "--name", "Khác", url=url)
    assert duplicate.returncode == 1 and "đã tồn tại" in duplicate.stderr
    added = run("user", "add", "an.nguyen", "--agency", "MC", "--role", "clerk", "--password-stdin",
                url=url, stdin="mat-khau-rat-dai\n")
    assert added.returncode == 0 and "an.nguyen" in added.stdout
    weak = run("user", "add", "b", "--agency", "MC", "--role", "clerk", "--password-stdin", url=url, stdin="x\n")
    assert weak.returncode == 1
    first = run("deploy", str(DATA / "three_agencies.bpmn"), url=url)
    again = run("deploy", str(DATA / "three_agencies.bpmn"), url=url)
    assert first.returncode == 0 and "T.000001 v1" in first.stdout
    assert again.returncode == 0 and "T.000001 v1" in again.stdout
    due = run("due", "2026-02-13T10:00", "5", url=url)  # Friday before Tết 2026
    assert due.stdout.strip() == "2026-02-27T10:00:00+07:00"


@pytest.mark.parametrize(("received", "days", "expected"), [
    ("2026-03-02T14:59", "1", "2026-03-03T14:59:00+07:00"),
    ("2026-03-02T15:01", "1", "2026-03-03T17:00:00+07:00"),
    ("2026-08-28T09:00", "0,5", "2026-08-28T15:00:00+07:00"),
])
def test_due_answers_the_desk(received: str, days: str, expected: str, tmp_path: Path):
    result = run("due", received, days, url=f"sqlite:///{tmp_path}/none.sqlite")
    assert result.stdout.strip() == expected


def test_render_writes_flowcharts_and_reports_bad_files(tmp_path: Path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("not xml", encoding="utf-8")
    result = run("render", str(DATA / "three_agencies.bpmn"), str(bad), "-o", str(tmp_path / "out"),
                 "--format", "svg,png")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert (tmp_path / "out" / "three_agencies.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "out" / "three_agencies.png").read_bytes().startswith(b"\x89PNG")
    assert sum(1 for line in result.stdout.splitlines() if line.startswith(f"{bad}: ERROR")) == 1

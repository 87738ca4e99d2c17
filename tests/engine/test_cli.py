"""The `lienthong` command line, run as a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import accounts, models
from tests.conftest import DATA, PASSWORD, ROOT

BIN = Path(sys.executable).with_name("lienthong")
MIWG = DATA / "miwg"


def run(*args: str, url: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if url:
        env["DATABASE_URL"] = url
    # Files a command writes (the demo's uploaded documents) go to a folder of the test, not the checkout.
    env.setdefault("LIENTHONG_DATA_DIR", tempfile.mkdtemp(prefix="lienthong-cli-"))
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
    assert run("due", "2025-12-31T10:00", "1", url=url).stdout.strip() == "2026-01-05T10:00:00+07:00"


def test_init_db_loads_the_shipped_calendar_decisions_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/cal.sqlite"
    first = run("init-db", url=url)
    assert first.returncode == 0 and "quyết định về lịch nghỉ" in first.stdout
    again = run("init-db", url=url)
    assert again.returncode == 0 and "quyết định" not in again.stdout
    from sqlalchemy import create_engine

    with create_engine(url).connect() as conn:
        keys = dict(conn.execute(select(models.CalendarDecision.key, models.CalendarDecision.confirmed)).all())
    assert keys["2026-tet-duong-lich"] is True and keys["2026-quoc-khanh-hoan-doi"] is False


@pytest.mark.parametrize(("received", "days", "expected"), [
    ("2026-03-02T14:59", "1", "2026-03-03T14:59:00+07:00"),
    ("2026-03-02T15:01", "1", "2026-03-03T17:00:00+07:00"),
    ("2026-08-28T09:00", "0,5", "2026-08-28T15:00:00+07:00"),
    # 12729/VPCP-KGVX (25/12/2025): 1-4 January 2026 off, Saturday 10 January worked.
    ("2025-12-31T10:00", "1", "2026-01-05T10:00:00+07:00"),
    ("2026-01-09T10:00", "1", "2026-01-10T10:00:00+07:00"),
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


def _authenticates(engine, username: str, password: str) -> bool:
    with engine.transaction() as s:
        return accounts.authenticate(s, username, password) is not None


def _roles_of(engine, username: str) -> frozenset[str]:
    with engine.Session() as s:
        return next(o.roles for o in accounts.list_officials(s) if o.username == username)


def _failed_cleanly(result: subprocess.CompletedProcess[str], message: str) -> bool:
    """Exit 1 with one line on stderr holding ``message``, nothing on stdout, no traceback."""
    return (result.returncode == 1 and result.stdout == "" and result.stderr.startswith("lỗi: ")
            and message in result.stderr and len(result.stderr.splitlines()) == 1)


def test_user_list_deactivate_and_activate(db_url: str, engine, world):
    listed = run("user", "list", url=db_url)
    assert listed.returncode == 0
    assert "officer\tOfficer\tPCM\tofficer" in listed.stdout.splitlines()
    assert "inactive" not in listed.stdout
    assert len(listed.stdout.splitlines()) == len(world.actors)
    in_pcm = run("user", "list", "--agency", "PCM", url=db_url)
    assert [line.split("\t")[0] for line in in_pcm.stdout.splitlines()] == ["designer", "lead_pcm", "officer",
                                                                            "officer2"]
    assert _failed_cleanly(run("user", "list", "--agency", "XX", url=db_url), "Không có cơ quan 'XX'")

    off = run("user", "deactivate", "officer", url=db_url)
    assert (off.returncode, off.stdout.strip()) == (0, "Đã khoá tài khoản cán bộ officer")
    lines = run("user", "list", url=db_url).stdout.splitlines()
    assert "officer\tOfficer\tPCM\tofficer\tinactive" in lines
    assert "officer2\tOfficer2\tPCM\tofficer" in lines  # the others stay active
    assert not _authenticates(engine, "officer", PASSWORD)
    with engine.Session() as s:
        event = s.scalars(select(models.Event).where(models.Event.action == "official.updated")).one()
    assert event.details["username"] == "officer" and event.details["active"] == {"from": True, "to": False}

    on = run("user", "activate", "officer", url=db_url)
    assert (on.returncode, on.stdout.strip()) == (0, "Đã mở lại tài khoản cán bộ officer")
    assert "officer\tOfficer\tPCM\tofficer" in run("user", "list", url=db_url).stdout.splitlines()
    assert _authenticates(engine, "officer", PASSWORD)


def test_user_roles_sets_the_roles_and_refuses_a_bad_one(db_url: str, engine, world):
    done = run("user", "roles", "officer", "leader,officer", url=db_url)
    assert (done.returncode, done.stdout.strip()) == (0, "Vai trò của cán bộ officer: leader, officer")
    assert _roles_of(engine, "officer") == {"leader", "officer"}
    assert "officer\tOfficer\tPCM\tleader,officer" in run("user", "list", url=db_url).stdout.splitlines()
    assert run("user", "roles", "officer", "designer", "officer", url=db_url).returncode == 0
    assert _roles_of(engine, "officer") == {"designer", "officer"}

    bad = run("user", "roles", "officer", "officer,boss", url=db_url)
    assert _failed_cleanly(bad, "Vai trò không hợp lệ: boss")
    empty = run("user", "roles", "officer", ",", url=db_url)
    assert _failed_cleanly(empty, "Vai trò không hợp lệ")
    assert _roles_of(engine, "officer") == {"designer", "officer"}


def test_user_commands_on_an_unknown_official_exit_1(db_url: str, engine, world):
    for args, stdin in ((("deactivate", "nobody"), None), (("activate", "nobody"), None),
                        (("roles", "nobody", "clerk"), None), (("password", "nobody", "--password-stdin"),
                                                               "mat-khau-rat-dai\n")):
        assert _failed_cleanly(run("user", *args, url=db_url, stdin=stdin), "Không có cán bộ 'nobody'"), args
    assert "nobody" not in run("user", "list", url=db_url).stdout


def test_user_password_from_stdin(db_url: str, engine, world):
    changed = run("user", "password", "OFFICER", "--password-stdin", url=db_url, stdin="mat-khau-moi-dai-hon\n")
    assert (changed.returncode, changed.stdout.strip()) == (0, "Đã đổi mật khẩu của cán bộ officer")
    assert _authenticates(engine, "officer", "mat-khau-moi-dai-hon")
    assert not _authenticates(engine, "officer", PASSWORD)
    short = run("user", "password", "officer", "--password-stdin", url=db_url, stdin="ngan\n")
    assert _failed_cleanly(short, "Mật khẩu phải dài ít nhất 8 ký tự")
    assert _authenticates(engine, "officer", "mat-khau-moi-dai-hon")
    assert _authenticates(engine, "officer2", PASSWORD)  # nobody else's password changed


def test_deploy_prints_the_warnings_validate_prints(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    assert run("init-db", url=url).returncode == 0
    for code, name in (("MC", "Bộ phận Một cửa"), ("PCM", "Phòng chuyên môn"), ("CA", "Công an"), ("LD", "Lãnh đạo")):
        assert run("agency", "add", code, "--name", name, url=url).returncode == 0
    diagram = tmp_path / "form_key.bpmn"
    source = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")
    diagram.write_text(source.replace('<bpmn:userTask id="Sign" name="Ký quyết định">',
                                      '<bpmn:userTask id="Sign" name="Ký quyết định" camunda:formKey="ky.html" '
                                      'camunda:assignee="giam_doc">'), encoding="utf-8")
    validated = run("validate", str(diagram), url=url)
    warnings = [line for line in validated.stdout.splitlines() if ": WARNING [Sign]" in line]
    assert validated.returncode == 0 and len(warnings) == 2, validated.stdout
    deployed = run("deploy", str(diagram), url=url)
    assert deployed.returncode == 0 and "T.000001 v1" in deployed.stdout
    assert [line for line in deployed.stdout.splitlines() if ": WARNING " in line] == \
        [line for line in validated.stdout.splitlines() if ": WARNING " in line]
def test_due_follows_the_office_hours_lunch_break_cutoff_and_day_length_settings(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/none.sqlite"
    plain = run("due", "2026-03-02T10:00", "0,5", url=url)
    assert plain.stdout.strip() == "2026-03-02T16:00:00+07:00"  # 10:00-11:30 and 13:30-16:00
    env = dict(os.environ, DATABASE_URL=url, LIENTHONG_OFFICE_HOURS="07:30-11:30,13:00-17:00",
               LIENTHONG_CUTOFF="16:00", LIENTHONG_HOURS_PER_DAY="8")
    other = subprocess.run([str(BIN), "due", "2026-03-02T10:00", "0,5"], capture_output=True, text=True, env=env,
                           timeout=300, check=False)
    assert other.stdout.strip() == "2026-03-02T15:30:00+07:00"  # a shorter lunch: 10:00-11:30 and 13:00-15:30
    late = subprocess.run([str(BIN), "due", "2026-03-02T15:30", "1"], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert late.stdout.strip() == "2026-03-03T15:30:00+07:00"  # before the 16:00 cut-off: counted the same day
    env["LIENTHONG_OFFICE_HOURS"] = "25:00-26:00"
    bad = subprocess.run([str(BIN), "due", "2026-03-02T15:30", "1"], capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    assert bad.returncode != 0 and "LIENTHONG_OFFICE_HOURS" in bad.stderr and "Traceback" not in bad.stderr

"""The review's commands as a real process: a demo history made once, the event log written to a file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, func, select

from engine import models
from tests.engine.test_cli import run


def test_demo_history_then_export_log(db_url: str, tmp_path: Path) -> None:
    seeded = run("seed-demo", "--password", "mat-khau-demo", url=db_url)
    assert seeded.returncode == 0 and "Hồ sơ nộp trực tuyến demo" in seeded.stdout
    made = run("demo-history", "--days", "30", "--seed", "5", url=db_url)
    assert made.returncode == 0, made.stderr
    assert "hồ sơ" in made.stdout
    eng = create_engine(db_url)
    with eng.connect() as conn:
        dossiers = conn.scalar(select(func.count()).select_from(models.Dossier))
        first = conn.scalar(select(func.min(models.Dossier.received_at)))
    eng.dispose()
    assert dossiers and dossiers > 5
    day = first.date().isoformat()
    target = tmp_path / "log.xes"
    out = run("export-log", "--procedure", "1.001731", "--from", day, "--to", "2101-01-01", "-o", str(target),
              url=db_url)
    assert out.returncode == 1 and "2000–2100" in out.stderr  # a period past the bound: one line, no file
    assert not target.exists()
    out = run("export-log", "--procedure", "1.001731", "--from", day, "--to", "2100-12-31", "-o", str(target),
              url=db_url)
    assert out.returncode == 0, out.stderr
    assert target.read_text(encoding="utf-8").count("<trace>") == dossiers
    bad = run("export-log", "--procedure", "1.001731", "--from", "hôm qua", "--to", day, "-o", str(tmp_path / "x.csv"),
              url=db_url)
    assert bad.returncode == 1 and bad.stderr.startswith("lỗi:")
    again = run("seed-demo", "--password", "mat-khau-demo", "--history", url=db_url)
    assert again.returncode == 0 and "đã có sẵn" in again.stdout  # the demo year is made once
    assert "Hồ sơ nộp trực tuyến demo" not in again.stdout  # and so are its online applications

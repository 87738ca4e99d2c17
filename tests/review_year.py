"""A generated history shared by the review tests: 150 days of the three-agency procedure."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import reviewing
from engine.history_demo import Plan
from engine.runtime import Engine
from tests.conftest import DATA, FakeClock, World, _truncate_pg

START = date(2026, 1, 5)
DAYS = 150
END = START + timedelta(days=DAYS - 1)
PROCEDURE = "T.000001"
SLOW = "Examine"


@dataclass
class Year:
    engine: Engine
    world: World
    summary: Any


def generated_year(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, pg_database: str) -> Iterator[Year]:
    """The year's database (a copy of the migrated template, or the PostgreSQL test database emptied)."""
    if pg_database:
        _truncate_pg(pg_database)
        url = pg_database
    else:
        path = tmp_path_factory.mktemp("review") / "year.sqlite"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    setup = Engine(url, clock=FakeClock(datetime(2026, 1, 2, 1, 0, tzinfo=UTC)))
    world = World(setup)
    setup.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn")
    made: list[Engine] = []

    def engine_for(clock: Any) -> Engine:
        made.append(Engine(url, clock=clock))
        return made[-1]

    summary = reviewing.demo_history(engine_for, Plan(PROCEDURE, START, DAYS, seed=7, slow_step=SLOW))
    for eng in made:
        eng.close()
    setup.close()
    engine = Engine(url, clock=FakeClock(datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=UTC)))
    yield Year(engine, world, summary)
    engine.close()

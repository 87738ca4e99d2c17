"""Statements run on the driver's cursor (engine.prepared) read and write what SQLAlchemy would, on
SQLite and PostgreSQL, and fail as SQLAlchemy fails: a broken rule rolls the whole action back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine import models
from engine.prepared import Prepared
from engine.runtime import Engine
from tests.conftest import DATA, World

_STEPS = models.Step.__table__
_EVENTS = models.Event.__table__


@pytest.fixture
def dossier(engine: Engine) -> str:
    world = World(engine)
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn")
    return engine.start_dossier(world["clerk"], "T.000001", {"name": "Lê Thị Hoa"}).code


def test_rows_read_as_sqlalchemy_reads_them(engine: Engine, dossier: str):
    by_dossier = select(_STEPS).where(_STEPS.c.dossier_id == bindparam("d")).order_by(_STEPS.c.id)
    prepared = Prepared(by_dossier)
    with engine.db.connect() as conn:
        dossier_id = conn.execute(select(models.Dossier.id).where(models.Dossier.code == dossier)).scalar_one()
        expected = conn.execute(by_dossier, {"d": dossier_id}).all()
        got = prepared.execute(conn, {"d": dossier_id}).all()
    assert [tuple(r) for r in got] == [tuple(r) for r in expected]
    first = got[0]
    assert isinstance(first.working_days, Decimal)
    assert first.ready_at.tzinfo is not None and first.ready_at.utcoffset().total_seconds() == 0
    assert first._mapping["element_id"] == first.element_id


def test_an_insert_gets_its_python_defaults_and_constants_hold(engine: Engine, dossier: str):
    add = Prepared(insert(_EVENTS))
    changed = Prepared(update(_STEPS).where(_STEPS.c.dossier_id == bindparam("d"), _STEPS.c.state == "ready")
                       .values(note=bindparam("note")))
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with engine.db.begin() as conn:
        dossier_id = conn.execute(select(models.Dossier.id).where(models.Dossier.code == dossier)).scalar_one()
        add.executemany(conn, [{"dossier_id": dossier_id, "step_id": None, "actor_id": None, "action": "test.a",
                                "at": at}])  # no details: the column's default (an empty dict)
        assert changed.execute(conn, {"d": dossier_id, "note": "đã xem"}).rowcount == 1
        row = conn.execute(select(_EVENTS.c.details, _EVENTS.c.at).where(_EVENTS.c.action == "test.a")).one()
        notes = conn.execute(select(_STEPS.c.state, _STEPS.c.note).where(_STEPS.c.dossier_id == dossier_id)).all()
    assert row.details == {} and row.at == at
    assert [n for s, n in notes if s == "ready"] == ["đã xem"]
    assert [n for s, n in notes if s != "ready"] == [""] * (len(notes) - 1)


def test_a_broken_rule_raises_sqlalchemys_error_and_nothing_is_written(engine: Engine, dossier: str):
    add = Prepared(insert(_EVENTS))
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with pytest.raises(IntegrityError), engine.db.begin() as conn:
        add.executemany(conn, [{"dossier_id": None, "step_id": None, "actor_id": None, "action": "test.kept",
                                "at": at, "details": {}}])
        add.executemany(conn, [{"dossier_id": 999_999, "step_id": None, "actor_id": None, "action": "test.bad",
                                "at": at, "details": {}}])  # no such dossier: a foreign key refuses it
    with engine.db.connect() as conn:
        assert conn.execute(select(_EVENTS.c.id).where(_EVENTS.c.action.like("test.%"))).all() == []
    assert engine.dossier(dossier).status == "received"

"""The Alembic migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine import db
from engine.models import Base


def test_migrations_match_the_models(db_url: str):
    eng = db.make_engine(db_url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    eng.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path}/m.sqlite"
    db.upgrade(url)
    command.downgrade(db.alembic_config(url), "base")
    eng = db.make_engine(url)
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    eng.dispose()
    db.upgrade(url)
    eng = db.make_engine(url)
    assert {"dossiers", "steps", "events", "workflow_states"} <= set(inspect(eng).get_table_names())
    assert db.current_revision(eng) is not None
    eng.dispose()


def test_the_event_log_refuses_updates_and_deletes(engine, world, deployed):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from tests.engine.test_runtime import APPLICANT

    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    for statement in ("UPDATE events SET action = 'forged'", "DELETE FROM events"):
        with pytest.raises(DBAPIError), engine.db.begin() as conn:
            conn.execute(text(statement))
    with engine.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events WHERE action = 'forged'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() > 0


def test_migration_0004_records_who_takes_part_in_existing_dossiers(engine, world, deployed):
    """Upgrading a database with dossiers fills dossier_agencies from the desks and the steps."""
    from sqlalchemy import text

    from tests.engine.test_runtime import APPLICANT, do

    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    url = engine.db.url.render_as_string(hide_password=False)
    query = text("SELECT a.code FROM dossier_agencies da JOIN agencies a ON a.id = da.agency_id "
                 "WHERE da.dossier_id = :d ORDER BY a.code")
    with engine.db.connect() as conn:
        before = [r[0] for r in conn.execute(query, {"d": d.id})]
    engine.close()
    command.downgrade(db.alembic_config(url), "0003")
    db.upgrade(url)
    eng = db.make_engine(url)
    with eng.connect() as conn:
        after = [r[0] for r in conn.execute(query, {"d": d.id})]
    eng.dispose()
    assert before == after == sorted(["000.00.15.H12", "PCM", "CA"])


def test_migration_0008_copies_the_name_key_to_every_agency_taking_part(engine, world, deployed):
    """Upgrading a database with dossiers gives each agency's row the applicant's search key."""
    from sqlalchemy import text

    from tests.engine.test_runtime import do

    d = engine.start_dossier(world["clerk"], deployed, {"name": "Võ Thị Xuân Hương"})
    do(engine, world["clerk"], "Receive")
    url = engine.db.url.render_as_string(hide_password=False)
    engine.close()
    command.downgrade(db.alembic_config(url), "0007")
    db.upgrade(url)
    eng = db.make_engine(url)
    with eng.connect() as conn:
        keys = conn.execute(text("SELECT agency_id, applicant_search FROM dossier_agencies WHERE dossier_id = :d "
                                 "ORDER BY agency_id"), {"d": d.id}).all()
    eng.dispose()
    assert [k for _, k in keys] == ["vo thi xuan huong"] * 2  # the desk and the division holding a step

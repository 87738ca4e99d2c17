"""The raw-SQL claim and complete: taken for ordinary steps, correct across engines and cache misses.

Row-for-row agreement with the ORM path on every procedure path is in test_procedure_paths.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from engine.errors import Conflict, FormInvalid
from engine.runtime import Engine
from tests.conftest import FakeClock, World

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}


def _open(d: Any, element: str) -> Any:
    return next(s for s in d.open_steps if s.element_id == element)


def test_receiving_and_an_ordinary_step_never_enter_the_orm_path(engine: Engine, world: World, deployed: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    engine.calendar()  # loaded once beforehand (it opens its own session every 30 s)

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the ORM path was entered")

    monkeypatch.setattr(Engine, "transaction", refuse)
    monkeypatch.setattr(Engine, "_after_engine", refuse)
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    assert d.status == "received" and d.code.endswith("-0001")
    assert [e.action for e in d.events] == ["dossier.received", "step.ready"]
    step = _open(d, "Receive")
    claimed = engine.claim(world["clerk"], step.id)
    assert claimed.state == "claimed" and claimed.assignee_id == world["clerk"].id
    d = engine.complete(world["clerk"], step.id, {"du_giay_to": True}, note="Đủ")
    assert d.status == "processing"
    assert [s.element_id for s in d.open_steps] == ["Examine"]
    done = next(s for s in d.steps if s.id == step.id)
    assert done.state == "completed" and done.note == "Đủ" and done.form_data == {"du_giay_to": True}
    assert done.completed_by == world["clerk"].id and done.timeliness == "on_time"


def test_a_refused_completion_changes_nothing(engine: Engine, world: World, deployed: str) -> None:
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = _open(d, "Receive")
    engine.claim(world["clerk"], receive.id)
    d = engine.complete(world["clerk"], receive.id, {"du_giay_to": True})
    examine = _open(d, "Examine")
    engine.claim(world["officer"], examine.id)
    with engine.db.connect() as conn:
        before = conn.execute(text("SELECT count(*), max(id) FROM events")).one()
        version = conn.execute(text("SELECT state_version FROM dossiers WHERE id = :d"), {"d": d.id}).scalar()
    with pytest.raises(FormInvalid):
        engine.complete(world["officer"], examine.id, {"ket_qua": "không có trong danh sách"})
    with pytest.raises(Conflict):  # claimed by someone else of the same agency
        engine.complete(world["officer2"], examine.id, {"ket_qua": "dat", "so_tien": 1})
    with engine.db.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(id) FROM events")).one() == before
        assert conn.execute(text("SELECT state_version FROM dossiers WHERE id = :d"), {"d": d.id}).scalar() == version
        assert conn.execute(text("SELECT state FROM steps WHERE id = :s"), {"s": examine.id}).scalar() == "claimed"


def test_two_engines_take_turns_on_one_dossier(db_url: str, clock: FakeClock, engine: Engine, world: World,
                                               deployed: str) -> None:
    """Each engine's cached workflow goes stale when the other writes: it reloads, never overwrites."""
    other = Engine(db_url, clock=clock)
    try:
        d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
        turns = [(engine, "clerk", "Receive", {"du_giay_to": True}),
                 (other, "officer", "Examine", {"ket_qua": "dat", "so_tien": 5}),
                 (engine, "police", "Opinion_police", {"y_kien_ca": "Đồng ý"}),
                 (other, "officer2", "Opinion_div", {}),
                 (engine, "leader", "Sign", {"so_quyet_dinh": "7/QĐ"}),
                 (other, "clerk2", "Return", {})]
        for eng, who, element, data in turns:
            step = _open(eng.dossier(d.code), element)
            eng.claim(world[who], step.id)
            d = eng.complete(world[who], step.id, data)
            if eng is other:
                eng.cache.clear()  # one engine also loses its cache now and then
        assert d.status == "returned" and not d.open_steps
        assert [s.element_id for s in d.steps if s.state == "completed"] == [
            "Receive", "Examine", "Opinion_police", "Opinion_div", "Sign", "Return"]
        with engine.db.connect() as conn:
            assert conn.execute(text("SELECT state_version FROM dossiers WHERE id = :d"), {"d": d.id}).scalar() == 7
            assert conn.execute(text("SELECT count(*) FROM events WHERE dossier_id = :d AND action = 'step.completed'"),
                                {"d": d.id}).scalar() == 6
    finally:
        other.close()


def test_two_databases_in_one_process_keep_their_own_labels(tmp_path, clock: FakeClock) -> None:
    """Definition and agency ids mean different things in different databases: the cached labels
    (procedure names, agency names) are kept per database."""
    from engine import db
    from tests.conftest import DATA

    views = []
    for name, diagram in (("a", "three_agencies.bpmn"), ("b", "timer_wait.bpmn")):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        db.upgrade(url)
        eng = Engine(url, clock=clock)
        world = World(eng)
        code = eng.deploy((DATA / diagram).read_bytes()).code
        with eng.transaction() as s:  # the same agency id, another name, in the second database
            s.execute(text("UPDATE agencies SET name = :n WHERE code = '000.00.15.H12'"),
                      {"n": f"Bộ phận Một cửa {name}"})
        views.append((eng, eng.start_dossier(world["clerk"], code, APPLICANT, with_history="open")))
    (first, a), (second, b) = views
    assert a.definition_id == b.definition_id == 1
    assert a.procedure_name != b.procedure_name
    assert first.dossier(a.code).procedure_name == a.procedure_name
    assert second.dossier(b.code).procedure_name == b.procedure_name
    assert (a.receiving_agency_name, b.receiving_agency_name) == ("Bộ phận Một cửa a", "Bộ phận Một cửa b")
    for eng, _ in views:
        eng.close()

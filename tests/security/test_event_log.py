"""The event log is append-only: no route, no engine code path and no statement ever edits or deletes an event.

The database itself refuses UPDATE and DELETE on ``events`` (a trigger on SQLite and PostgreSQL):
that is tested in tests/engine/test_migrations.py::test_the_event_log_refuses_updates_and_deletes.
Here: the application never even tries.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import event

from engine.worker import run_worker
from tests.conftest import DATA, ROOT, vn
from tests.engine.test_runtime import APPLICANT, do
from tests.webui.helpers import login, post

SOURCES = [p for folder in ("engine", "webui") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
WRITES_TO_EVENTS = re.compile(
    r"""(update|delete)\(\s*(models\.)?Event\b          # SQLAlchemy Core on the model
      | Event\.__table__\.(update|delete)\b
      | \b(UPDATE|DELETE\s+FROM)\s+["`]?events\b        # raw SQL
      | session\.delete\(                               # ORM deletes of any loaded object
      | \.query\(\s*(models\.)?Event\b[^\n]*\.(update|delete)\(
    """, re.VERBOSE | re.IGNORECASE)
EVENT_ATTRIBUTE_WRITE = re.compile(r"\b(event|ev)\.(action|at|details|actor_id|dossier_id|step_id)\s*=[^=]")


def test_no_route_edits_or_deletes_anything(app):
    for rule in app.url_map.iter_rules():
        assert not (rule.methods or set()) & {"PUT", "PATCH", "DELETE"}, rule.rule
        assert ("event" not in rule.rule.lower() and "history" not in rule.rule.lower()) or \
               (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_no_engine_or_web_code_path_writes_to_existing_events():
    assert SOURCES and any(p.name == "runtime.py" for p in SOURCES)
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in (WRITES_TO_EVENTS, EVENT_ATTRIBUTE_WRITE):
            found = pattern.search(text)
            assert found is None, f"{path.relative_to(ROOT)}: {found.group(0) if found else ''}"


def test_the_engine_api_has_no_function_to_change_history():
    import engine

    names = {n.lower() for n in dir(engine.Engine)} | {n.lower() for n in engine.__all__}
    assert not [n for n in names if re.search(r"(delete|erase|purge|edit|rewrite|amend).*(event|history)", n)]


def test_a_whole_life_issues_no_update_or_delete_on_events(app, client, engine, world, deployed, clock,
                                                           tmp_path: Path):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine.db, "before_cursor_execute", record)
    try:
        engine.deploy((DATA / "timer_wait.bpmn").read_bytes(), filename="timer.bpmn")
        # the web pages: receive, claim, unclaim, reassign, complete
        login(client, "clerk")
        post(client, "/desk", {"procedure": "T.000001", "applicant_name": "Trần C", "field-so_ban_sao": "1",
                               "first-du_giay_to": "on"}, page="/desk")  # its first step done at the desk
        do(engine, world["officer"], "Examine", {"ket_qua": "khong_dat"})
        engine.start_dossier(world["clerk"], "T.000001", {"name": "Trần D"})  # the API: first step left open
        code = engine.inbox(world["clerk"])[0].dossier_code
        step = engine.inbox(world["clerk"])[0]
        post(client, f"/steps/{step.id}/claim")
        post(client, f"/steps/{step.id}/unclaim")
        post(client, f"/steps/{step.id}/claim")
        post(client, f"/steps/{step.id}/complete", {"field-du_giay_to": "on", "note": "chuyển"})
        # the engine: a supplement round, parallel opinions, a late step, the worker, a timer, a withdrawal
        do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
        do(engine, world["clerk"], "Supplement")
        do(engine, world["clerk"], "Receive")
        examine = next(s for s in engine.inbox(world["officer"]) if s.element_id == "Examine")
        engine.reassign(world["lead_pcm"], examine.id, "officer2")
        engine.complete(world["officer2"], examine.id, {"ket_qua": "dat"})
        clock.set(vn(2026, 3, 20, 9, 0))
        run_worker(engine, once=True, echo=lambda *a, **k: None)
        do(engine, world["police"], "Opinion_police")
        do(engine, world["officer"], "Opinion_div")
        do(engine, world["leader"], "Sign", {"so_quyet_dinh": "1/QĐ"})
        do(engine, world["clerk"], "Return")
        waiting = engine.start_dossier(world["clerk"], "T.000002", APPLICANT)
        do(engine, world["clerk"], "Post")
        clock.set(vn(2026, 3, 25, 9, 0))
        run_worker(engine, once=True, echo=lambda *a, **k: None)
        engine.withdraw(world["clerk"], waiting.code)
    finally:
        event.remove(engine.db, "before_cursor_execute", record)
    assert engine.dossier(code).status == "returned"
    writes = [s for s in statements if re.match(r"\s*(UPDATE|DELETE\s+FROM)\s+\"?events\b", s, re.I)]
    assert writes == []
    assert sum(bool(re.match(r"\s*INSERT\s+INTO\s+\"?events\b", s, re.I)) for s in statements) > 10
    assert any(e.action == "timer.fired" for e in engine.dossier(waiting.code).events)

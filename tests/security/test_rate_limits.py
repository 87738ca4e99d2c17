"""Rate limits are counted atomically in the database: parallel guesses never get past the limit, two web
processes share one count, and nobody can lock the real user out by guessing from elsewhere."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine import models
from engine.runtime import Engine
from tests.conftest import DATA, PASSWORD
from tests.engine.test_documents import METADATA, PDF
from tests.webui.helpers import csrf

LIMIT = 10


_ENGINES: list[Engine] = []


def _app(engine_url: str, clock: Any, tmp_path: Any) -> Any:
    """A web app with its own engine (its own connection pool), as one gunicorn worker has."""
    from webui import create_app

    engine = Engine(engine_url, clock=clock)
    _ENGINES.append(engine)
    return create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                       "DOCUMENT_DIR": str(tmp_path / "documents"), "LOGIN_RATE_LIMIT": (LIMIT, 300),
                       "DATABASE_URL": engine_url})


@pytest.fixture(autouse=True)
def _close_worker_engines() -> Any:
    yield
    while _ENGINES:
        _ENGINES.pop().close()


@pytest.fixture
def url(engine: Engine) -> str:
    return engine.db.url.render_as_string(hide_password=False)


def _token(client: Any, password: str, addr: str, username: str = "clerk") -> int:
    return client.post("/api/v1/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr}).status_code


def test_parallel_wrong_passwords_get_at_most_the_limit_and_the_right_one_works_elsewhere(
        engine, world, clock, tmp_path, url):
    workers = [_app(url, clock, tmp_path) for _ in range(2)]  # two processes' worth of state
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: _token(workers[i % 2].test_client(), f"wrong-{i}", "203.0.113.66"),
                                range(40)))
    assert answers.count(401) <= LIMIT  # at most the limit's worth of passwords were tried
    assert answers.count(401) + answers.count(429) == 40
    assert _token(workers[0].test_client(), PASSWORD, "203.0.113.66") == 429  # that address waits
    assert _token(workers[1].test_client(), PASSWORD, "198.51.100.5") == 201  # the real official does not


@pytest.mark.parametrize("split", [(5, 5), (9, 1), (1, 9)])
def test_two_app_instances_share_one_count(engine, world, clock, tmp_path, url, split):
    first, second = (_app(url, clock, tmp_path).test_client() for _ in range(2))
    for _ in range(split[0]):
        assert _token(first, "wrong-password", "192.0.2.9") == 401
    for _ in range(split[1]):
        assert _token(second, "wrong-password", "192.0.2.9") == 401
    assert _token(first, PASSWORD, "192.0.2.9") == 429
    assert _token(second, PASSWORD, "192.0.2.9") == 429


def test_a_login_flood_does_not_grow_the_stored_count_without_bound(engine, world, clock, tmp_path, url):
    client = _app(url, clock, tmp_path).test_client()
    for i in range(LIMIT * 3):
        _token(client, f"wrong-{i}", "192.0.2.10")
    with engine.Session() as s:
        counts = {r.key: r.count for r in s.query(models.RateLimit)}
    assert max(counts.values()) <= LIMIT * 5 + 1
    assert counts["login:192.0.2.10|clerk"] == LIMIT + 1


# --------------------------------------------------------------------------- the applicant's result


@pytest.fixture
def finished(engine: Engine, world: Any, app: Any) -> tuple[str, str]:
    """A finished dossier with its signed result: (code, receipt secret)."""
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    d = engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    for who, element, data in (("clerk", "Receive", {}), ("officer", "Examine", {"ket_qua": "dat"}),
                               ("police", "Opinion_police", {}), ("officer2", "Opinion_div", {}),
                               ("leader", "Sign", {"so_quyet_dinh": "12/QĐ-UBND"}), ("clerk2", "Return", {})):
        step = next(s for s in engine.inbox(world[who]) if s.element_id == element)
        engine.claim(world[who], step.id)
        if element == "Sign":
            app.extensions["lienthong_documents"].attach(world[who], d.code, "kq.pdf", PDF, kind="signed_result",
                                                         step_id=step.id)
        engine.complete(world[who], step.id, data)
    with engine.Session() as s:
        secret = s.query(models.Dossier).filter_by(code=d.code).one().lookup_secret
    return d.code, secret


def _result(client: Any, code: str, secret: str, addr: str) -> int:
    page = client.get(f"/tra-cuu?code={code}", environ_base={"REMOTE_ADDR": addr}).get_data(as_text=True)
    return client.post("/tra-cuu/ket-qua", data={"csrf_token": csrf(page), "code": code, "secret": secret},
                       environ_base={"REMOTE_ADDR": addr}).status_code


@pytest.mark.parametrize("wrong", ["000000", "", "ZZZZZZ", "' OR 1=1 --"])
def test_ten_wrong_secrets_do_not_lock_out_the_applicant(app, engine, finished, wrong):
    code, secret = finished
    client = app.test_client()
    answers = [_result(client, code, wrong, "203.0.113.50") for _ in range(12)]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]  # the guesser is stopped
    assert _result(client, code, secret, "203.0.113.50") == 429  # even when right, from that address
    assert _result(client, code, secret, "198.51.100.77") == 200  # the applicant, elsewhere, gets the result
    assert _result(client, code, secret, "198.51.100.77") == 200  # again and again (a success does not count)


def test_the_applicants_right_secret_is_accepted_from_the_same_address_once_the_window_passes(
        app, engine, finished, clock):
    code, secret = finished
    client = app.test_client()
    for _ in range(11):
        _result(client, code, "000000", "203.0.113.51")
    clock.advance(seconds=301)
    assert _result(client, code, secret, "203.0.113.51") == 200


def test_stale_counts_are_removed_as_new_ones_come(engine, world, clock, tmp_path, url):
    client = _app(url, clock, tmp_path).test_client()
    for i in range(30):
        _token(client, "wrong-password", f"192.0.2.{100 + i}")
    clock.advance(days=2)
    _token(client, "wrong-password", "192.0.2.1")
    _token(client, "wrong-password", "192.0.2.1")
    _token(client, "wrong-password", "192.0.2.1")
    with engine.Session() as s:
        assert s.query(models.RateLimit).count() == 2  # the fresh address's two keys

"""Serving: the gunicorn settings module, the cookie sessions, the headers."""

from __future__ import annotations

import gc
import http.client
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import PASSWORD
from tests.webui.helpers import login, post
from webui import gunicorn_conf


def test_the_settings_module_holds_valid_gunicorn_settings():
    from gunicorn.config import Config

    cfg = Config()
    names = [name for name in vars(gunicorn_conf) if name in cfg.settings]
    assert {"worker_class", "workers", "threads", "post_worker_init", "pre_request"} <= set(names)
    for name in names:
        cfg.set(name, getattr(gunicorn_conf, name))
    assert cfg.worker_class_str == "gthread" and cfg.workers >= 2 and cfg.threads >= 1


def test_a_worker_with_more_connections_than_threads_closes_this_one():
    def after(connections: int | None, threads: int = 2) -> bool:
        worker = SimpleNamespace(cfg=SimpleNamespace(threads=threads))
        if connections is not None:
            worker.nr_conns = connections
        req = SimpleNamespace(must_close=False)
        gunicorn_conf.pre_request(worker, req)
        return req.must_close

    assert not after(1) and not after(2)
    assert after(3) and after(20)
    assert not after(None)  # a sync worker: one connection at a time anyway


def test_a_worker_freezes_what_it_loaded():
    try:
        gunicorn_conf.post_worker_init(None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_requests_without_the_cookie_set_no_cookie(app, client, world):
    token = client.post("/api/v1/tokens", json={"username": "clerk", "password": PASSWORD}).get_json()["token"]
    r = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Content-Security-Policy"].startswith("default-src")
    assert r.headers["Vary"] == "Cookie"  # as before: Flask-Login looks at the session on every response


def test_sessions_still_sign_in_keep_the_language_and_sign_out(app, client, world):
    r = login(client, "clerk")
    assert "HttpOnly" in r.headers["Set-Cookie"]
    assert client.get("/inbox").status_code == 200
    post(client, "/lang/en", {"next": "/inbox"})
    assert "Inter-agency administrative procedure" in client.get("/inbox").get_data(as_text=True)
    assert post(client, "/logout").status_code == 302
    assert client.get("/inbox").status_code == 302
    login(client, "clerk")
    client.set_cookie("session", "forged.value.here")
    assert client.get("/inbox").status_code == 302  # a bad signature is an empty session, as in Flask


@pytest.mark.slow
def test_gunicorn_starts_with_the_settings_and_spreads_keep_alive_connections(engine, tmp_path: Path):
    from tests.fault.harness import BIN, HOST, Process, free_port, server_env, wait_ready

    port = free_port()
    argv = [str(BIN / "gunicorn"), "-c", "python:webui.gunicorn_conf", "-w", "1", "--threads", "1",
            "-b", f"{HOST}:{port}", "webui:create_app()"]
    env = server_env(engine.db.url.render_as_string(hide_password=False), tmp_path)
    server = Process("gunicorn", argv, env, tmp_path / "gunicorn.log").start()
    try:
        wait_ready(port, server)
        # The readiness probe's connection counts until the worker notices it closed: wait for that.
        deadline = time.monotonic() + 10
        while True:
            first = http.client.HTTPConnection(HOST, port, timeout=10)
            first.request("GET", "/api/v1/openapi.json")
            answer = first.getresponse()
            answer.read()
            if answer.getheader("Connection", "").lower() != "close" or time.monotonic() > deadline:
                break
            first.close()
            time.sleep(0.1)
        assert answer.status == 200 and answer.getheader("Connection", "").lower() != "close"
        second = http.client.HTTPConnection(HOST, port, timeout=10)
        second.request("GET", "/api/v1/openapi.json")  # the one thread now holds two connections
        answer = second.getresponse()
        answer.read()
        assert answer.status == 200 and answer.getheader("Connection", "").lower() == "close"
        first.close()
        second.close()
    finally:
        server.stop(timeout=20)
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()

"""Browser tests: a real server on a free loopback port and Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from engine import db
from engine.runtime import Engine
from tests.conftest import DATA, World

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def procedure_metadata() -> dict[str, Any] | None:
    """Metadata deployed with the test diagram; a test module overrides it when it needs some."""
    return None


@pytest.fixture
def server(tmp_path: Path, procedure_metadata: dict[str, Any] | None) -> Iterator[tuple[str, Engine, World]]:

    url = f"sqlite:///{tmp_path / 'browser.sqlite'}"
    db.upgrade(url)
    engine = Engine(url)
    world = World(engine)
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn",
                  metadata=procedure_metadata)
    try:
        with serving(engine, url, tmp_path) as base:
            yield base, engine, world
    finally:
        engine.close()


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(engine: Engine, url: str, tmp_path: Path) -> Iterator[str]:
    """The web app on ``engine`` on a free loopback port, one thread a request; its base URL.

    The standard library's WSGI server closes a response (a static file, say) when the browser drops
    the connection half-way, which werkzeug's development server does not always do."""
    from webui import create_app

    app = create_app({"ENGINE": engine, "SECRET_KEY": "browser-test", "DATABASE_URL": url,
                      "DATA_DIR": str(tmp_path / "data")})
    httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture
def page(server: tuple[str, Engine, World]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # make test installs chromium (Makefile sysdeps): its absence is a set-up failure, not a skip.
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make setup`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(base_url=server[0], viewport={"width": 1280, "height": 860}, locale="vi-VN")
        context.set_default_timeout(15000)
        yield context.new_page()
        context.close()
        browser.close()

"""The public lookup cannot be used to walk the sequential dossier codes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime import Engine
from tests.conftest import World


@pytest.fixture
def limited_app(engine: Engine, tmp_path: Any) -> Any:
    from webui import create_app

    return create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                       "DOCUMENT_DIR": str(tmp_path / "documents"), "PUBLIC_LOOKUP_RATE_LIMIT": (5, 60),
                       "DATABASE_URL": str(engine.db.url.render_as_string(hide_password=False))})


def test_one_address_gets_429_after_its_lookups_and_another_address_does_not(
        limited_app: Any, engine: Engine, world: World, deployed: str) -> None:
    code = engine.start_dossier(world["clerk"], deployed, {"name": "Trần Thị Mai"}).code
    client = limited_app.test_client()
    walker = {"REMOTE_ADDR": "203.0.113.7"}
    answers = [client.get(f"/api/v1/public/dossiers/{code[:-4]}{n:04d}", environ_base=walker).status_code
               for n in range(1, 6)]
    assert answers == [200, 404, 404, 404, 404]  # misses count too: walking codes is the point
    refused = client.get(f"/api/v1/public/dossiers/{code}", environ_base=walker)
    assert refused.status_code == 429 and "Trần" not in refused.get_data(as_text=True)
    page = client.get(f"/tra-cuu?code={code}", environ_base=walker)  # the portal page shares the budget
    assert page.status_code == 429 and "T*** T** M**" not in page.get_data(as_text=True)
    assert client.get("/tra-cuu", environ_base=walker).status_code == 200  # the empty form is free
    citizen = {"REMOTE_ADDR": "198.51.100.20"}
    assert client.get(f"/tra-cuu?code={code}", environ_base=citizen).status_code == 200


def test_the_window_passes(limited_app: Any, engine: Engine, world: World, deployed: str, clock: Any) -> None:
    code = engine.start_dossier(world["clerk"], deployed, {"name": "Trần Thị Mai"}).code
    client = limited_app.test_client()
    walker = {"REMOTE_ADDR": "203.0.113.8"}
    assert [client.get(f"/api/v1/public/dossiers/{code}", environ_base=walker).status_code
            for _ in range(6)] == [200] * 5 + [429]
    clock.advance(seconds=59)
    assert client.get(f"/api/v1/public/dossiers/{code}", environ_base=walker).status_code == 429
    clock.advance(seconds=2)  # a minute after the window's first lookup
    assert client.get(f"/api/v1/public/dossiers/{code}", environ_base=walker).status_code == 200

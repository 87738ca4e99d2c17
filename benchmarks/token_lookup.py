"""What checking an API token costs beside the request it authorises: one indexed look-up of the token's
hash (``engine.token_actor``) against a whole authenticated API request (GET /api/v1/dossiers/<code> and
POST /steps/<id>/claim + unclaim through Flask's test client, same process, SQLite), each timed over
many repetitions. The look-up is part of every request, so its share is look-up / request.

    .venv/bin/python benchmarks/token_lookup.py [--repeat 2000]
"""

from __future__ import annotations

import os

os.environ.setdefault("LIENTHONG_PASSWORD_HASHING", "minimal")

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, token_actor
from tests.conftest import DATA, PASSWORD, World
from webui import create_app


def _per_call(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    for _ in range(min(repeat // 10, 100)):
        fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        from engine import db

        db.upgrade(url)
        engine = Engine(url)
        world = World(engine)
        engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn")
        code = engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"}).code
        app = create_app({"ENGINE": engine, "SECRET_KEY": "bench", "DATABASE_URL": url,
                          "DOCUMENT_DIR": f"{tmp}/documents"})
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "clerk", "password": PASSWORD}).get_json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        step = engine.inbox(world["clerk"])[0].id

        lookup = _per_call(lambda: token_actor(engine, token), args.repeat)
        read = _per_call(lambda: client.get(f"/api/v1/dossiers/{code}", headers=auth), args.repeat)
        claim_unclaim = _per_call(lambda: (client.post(f"/api/v1/steps/{step}/claim", headers=auth),
                                           client.post(f"/api/v1/steps/{step}/unclaim", headers=auth)),
                                  args.repeat // 4) / 2
        print(f"token look-up            {lookup * 1e6:8.0f} µs")
        print(f"GET /dossiers/<code>     {read * 1e6:8.0f} µs   look-up share {lookup / read:6.1%}")
        print(f"POST claim / unclaim     {claim_unclaim * 1e6:8.0f} µs   look-up share {lookup / claim_unclaim:6.1%}")
        engine.close()


if __name__ == "__main__":
    main()

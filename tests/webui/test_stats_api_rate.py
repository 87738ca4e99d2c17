"""GET /api/v1/stats: the QĐ 766 on-time rate per agency and per procedure, and the formulas used."""

from __future__ import annotations

from tests.conftest import PASSWORD, vn
from tests.engine.test_stats import APPLICANT, finish


def test_api_gives_the_on_time_rate_and_names_its_formula(client, engine, world, deployed, clock):
    codes = [engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code for _ in range(5)]
    finish(engine, world, codes[0])
    clock.set(vn(2026, 3, 10, 8, 0))
    finish(engine, world, codes[1])
    token = client.post("/api/v1/tokens", json={"username": "leader", "password": PASSWORD}).get_json()["token"]
    r = client.get("/api/v1/stats?from=2026-03-01&to=2026-03-31", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    body = r.get_json()
    (proc,) = body["by_procedure"]
    assert proc["on_time_rate"] == 20.0
    assert "overdue" in body["formulas"]["on_time_rate"] and "carried over" in body["formulas"]["on_time_rate"]
    rates = {a["agency"]: a["on_time_rate"] for a in body["by_agency"]}
    # the desk: one early, one late, three receptions standing past due; PCM examined both in time
    assert (rates["000.00.15.H12"], rates["PCM"]) == (20.0, 100.0)

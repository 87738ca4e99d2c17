"""Dates at the calendar's ends, reversed periods and garbage give a clear 400 in the user's language on
every endpoint that reads a period (dossier search, statistics, the register); never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.webui.helpers import login

#: (from, to) pairs, each refused.
BAD = [
    ("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-31"), ("0001-01-01", "9999-12-31"),
    ("9999-12-31", "9999-12-31"), ("1899-12-31", "2026-01-01"), ("2026-01-01", "3000-01-01"),
    ("2026-02-01", "2026-01-01"), ("2026-13-01", "2026-12-31"), ("2026-02-30", ""), ("tomorrow", ""),
    ("", "2026-1-5"), ("", "20260105"), ("", "2026-01-05T00:00"), ("", "+2026-01-05"), ("", "2026-01-05\x00"),
    ("", "٢٠٢٦-٠١-٠٥"), ("", "9" * 5000),
]
PAGES = ["/dossiers", "/stats", "/stats.csv", "/stats.xlsx", "/dossiers/register", "/dossiers/register.pdf"]
API = ["/api/v1/dossiers", "/api/v1/stats"]


def _query(date_from: str, date_to: str) -> dict[str, str]:
    out = {}
    if date_from:
        out["from"] = date_from
    if date_to:
        out["to"] = date_to
    return out


@pytest.fixture
def boss_client(client, boss):
    login(client, "boss")
    return client


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("date_from", "date_to"), BAD, ids=range(len(BAD)))
def test_pages_refuse_edge_dates_with_a_clear_400(boss_client, path, date_from, date_to):
    response = boss_client.get(path, query_string=_query(date_from, date_to))
    assert response.status_code == 400
    assert "text/html" in response.content_type
    text = response.get_data(as_text=True)
    assert "Ngày" in text  # the message names the date problem, in Vietnamese by default


@pytest.mark.parametrize("path", API)
@pytest.mark.parametrize(("date_from", "date_to"), BAD, ids=range(len(BAD)))
def test_the_api_refuses_edge_dates_with_a_clear_400(client, boss, path, date_from, date_to):
    token = client.post("/api/v1/tokens", json={"username": "boss", "password": PASSWORD}).get_json()["token"]
    response = client.get(path, query_string=_query(date_from, date_to), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("Ngày")


@pytest.mark.parametrize(("date_from", "date_to", "expected"), [
    ("2026-01-01", "9999-12-31", "Dates must lie between 1900-01-01 and 2999-12-31"),
    ("2026-02-01", "2026-01-01", "The start date must not be after the end date."),
    ("yesterday", "", "Invalid date (YYYY-MM-DD): from"),
])
def test_the_message_is_translated(boss_client, date_from, date_to, expected):
    boss_client.post("/lang/en", data={"csrf_token": _token(boss_client)})
    for path in ("/stats", "/dossiers"):
        response = boss_client.get(path, query_string=_query(date_from, date_to))
        assert response.status_code == 400
        assert expected in response.get_data(as_text=True)


def _token(client) -> str:
    from tests.webui.helpers import token_of

    return token_of(client, "/inbox")


@pytest.mark.parametrize("path", PAGES + API)
def test_the_widest_period_allowed_still_answers(boss_client, client, path):
    query = {"from": "1900-01-01", "to": "2999-12-31"}
    if path.startswith("/api/"):
        token = client.post("/api/v1/tokens", json={"username": "boss", "password": PASSWORD}).get_json()["token"]
        response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})
    else:
        response = boss_client.get(path, query_string=query)
    assert response.status_code == 200

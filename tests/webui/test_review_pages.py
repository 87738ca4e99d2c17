"""The review of times in the browser's pages and the JSON API: figures, what-if, downloads, permissions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.review_year import END, PROCEDURE, SLOW, START, Year, generated_year
from tests.webui.helpers import login, post

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, _pg_database: str) -> Iterator[Year]:
    yield from generated_year(tmp_path_factory, _sqlite_template, _pg_database)


@pytest.fixture
def client(year: Year, tmp_path: Path) -> Any:
    from webui import create_app

    app = create_app({"ENGINE": year.engine, "SECRET_KEY": "test-secret", "TESTING": True,
                      "DOCUMENT_DIR": str(tmp_path / "documents"),
                      "DATABASE_URL": year.engine.db.url.render_as_string(hide_password=False)})
    return app.test_client()


def _token(client: Any, username: str) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_api_review_gives_the_documented_shape(year: Year, client: Any) -> None:
    response = client.get(f"/api/v1/procedures/{PROCEDURE}/review", query_string=PERIOD,
                          headers=_token(client, "leader"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["dossiers"] == year.summary.dossiers and 0 < body["on_time_share"] < 1
    step = body["steps"][0]
    assert step["id"] == SLOW
    assert set(step) >= {"id", "name", "passes", "waiting_hours", "working_hours", "on_time_share", "lateness_share",
                         "agencies"}
    assert set(step["waiting_hours"]) == {"p50", "p90", "max"}
    assert body["variants"][0]["count"] >= body["variants"][-1]["count"]
    assert {"from", "to", "supplements", "loops", "by_month"} <= set(body)


def test_api_what_if_compares_baseline_and_prediction(client: Any) -> None:
    headers = _token(client, "leader")
    cut = client.post(f"/api/v1/procedures/{PROCEDURE}/what-if", headers=headers,
                      json=PERIOD | {"changes": [{"step": SLOW, "working_days": 0.5}]}).get_json()
    assert cut["predicted"]["on_time_share"] < cut["baseline"]["on_time_share"]
    staff = client.post(f"/api/v1/procedures/{PROCEDURE}/what-if", headers=headers,
                        json=PERIOD | {"changes": [{"agency": "PCM", "officials": 1}]}).get_json()
    assert staff["predicted"]["on_time_share"] > staff["baseline"]["on_time_share"]
    assert staff["method"]


@pytest.mark.parametrize(("path", "kwargs", "status"), [
    ("/api/v1/procedures/T.000001/review", {"query_string": {"from": "2026-13-01"}}, 400),
    ("/api/v1/procedures/T.000001/review", {"query_string": {"from": "2026-05-01", "to": "2026-04-01"}}, 400),
    ("/api/v1/procedures/T.000001/review", {"query_string": {"to": "9999-12-31"}}, 400),
    ("/api/v1/procedures/X.404/review", {}, 404),
    ("/api/v1/procedures/T.000001/what-if", {"method": "POST", "json": {"changes": "all"}}, 400),
    ("/api/v1/procedures/T.000001/what-if", {"method": "POST", "data": "not json"}, 400),
])
def test_api_refuses_bad_requests_with_a_clear_error(client: Any, path: str, kwargs: dict[str, Any],
                                                     status: int) -> None:
    method = kwargs.pop("method", "GET")
    response = client.open(path, method=method, headers=_token(client, "leader"), **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_api_review_is_refused_to_officers_and_without_a_token(client: Any) -> None:
    assert client.get(f"/api/v1/procedures/{PROCEDURE}/review").status_code == 401
    assert client.get(f"/api/v1/procedures/{PROCEDURE}/review", headers=_token(client, "officer")).status_code == 403


def test_review_page_shows_the_table_charts_and_the_coloured_diagram(client: Any) -> None:
    login(client, "leader")
    html = client.get(f"/review/{PROCEDURE}", query_string=PERIOD).get_data(as_text=True)
    assert "Thẩm định hồ sơ" in html and "Phần gây trễ hạn" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 3
    assert "<title id=" in html and "<desc id=" in html  # charts are announced, with their figures
    svg = client.get(f"/review/{PROCEDURE}/diagram.svg", query_string=PERIOD)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"#c62828" in svg.data  # the slow step drawn red


def test_review_page_is_translated(client: Any) -> None:
    login(client, "leader")
    html = client.get(f"/review/{PROCEDURE}", query_string=PERIOD | {"lang": "en"}).get_data(as_text=True)
    assert "Review of times: " in html and "Share of lateness" in html and "What-if before a cut" in html
    assert "Rà soát thời gian:" not in html and "Phần gây trễ hạn" not in html


def test_what_if_form_shows_before_and_after(client: Any) -> None:
    login(client, "leader")
    response = post(client, f"/review/{PROCEDURE}/what-if?from={START}&to={END}",
                    {"step": [SLOW, ""], "step_days": ["0,5", ""], "legal_days": "", "agency": "", "officials": ""},
                    page=f"/review/{PROCEDURE}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Kết quả dự báo" in html and "Hiện nay" in html and "Dự báo" in html
    bad = post(client, f"/review/{PROCEDURE}/what-if", {"legal_days": "nhanh"}, page=f"/review/{PROCEDURE}")
    assert bad.status_code == 400


def test_what_if_form_needs_its_csrf_token(client: Any) -> None:
    login(client, "leader")
    response = client.post(f"/review/{PROCEDURE}/what-if", data={"legal_days": "3"})
    assert response.status_code == 400


def test_logs_and_reports_download(client: Any) -> None:
    login(client, "designer")
    with client.get(f"/review/{PROCEDURE}/log.xes", query_string=PERIOD) as xes:
        assert xes.status_code == 200 and b"<log xes.version" in xes.data
        assert "attachment" in xes.headers["Content-Disposition"]
    with client.get(f"/review/{PROCEDURE}/log.csv", query_string=PERIOD) as csv:
        assert csv.data.startswith(b"case:concept:name")
    assert client.get(f"/review/{PROCEDURE}/log.json", query_string=PERIOD).status_code == 404
    changes = json.dumps([{"step": SLOW, "working_days": 0.5}])
    xlsx = client.get(f"/review/{PROCEDURE}/report.xlsx", query_string=PERIOD | {"changes": changes})
    book = load_workbook(io.BytesIO(xlsx.data))
    summary = {row[0].value: row[1].value for row in book["Tổng hợp"].iter_rows()}
    assert summary["Mã thủ tục"] == PROCEDURE and 0 < summary["Tỷ lệ đúng hạn"] < 1
    assert summary["Tỷ lệ đúng hạn dự kiến"] < summary["Tỷ lệ đúng hạn"]
    assert [c.value for c in book["Các bước"][2]][1] == SLOW
    pdf = client.get(f"/review/{PROCEDURE}/report.pdf", query_string=PERIOD | {"changes": changes})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_review_pages_are_for_leaders_designers_and_admins(client: Any) -> None:
    login(client, "officer")
    assert client.get(f"/review/{PROCEDURE}").status_code == 403
    assert client.get(f"/review/{PROCEDURE}/log.xes").status_code == 403

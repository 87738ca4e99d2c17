"""The statistics page (/stats) for leaders and admins, with CSV and XLSX downloads."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.conftest import vn
from tests.webui.helpers import login, post

PERIOD = "from=2026-03-01&to=2026-03-31"


def do(engine, actor, element, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {})


def journey(engine, world, deployed, clock):
    """Two dossiers received Mon 2 March: A returned early though its examination was late (Fri 6);
    B still waiting for the examination on Tue 10 March, past its due time (Mon 9)."""
    a = engine.start_dossier(world["clerk"], deployed, {"name": "Nguyễn Văn An"}).code
    b = engine.start_dossier(world["clerk"], deployed, {"name": "Trần Thị Bình"}).code
    do(engine, world["clerk"], "Receive")
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 6, 8))  # the examination (2 working days) is late now
    step = next(s for s in engine.inbox(world["officer"]) if s.element_id == "Examine" and s.dossier_code == a)
    engine.claim(world["officer"], step.id)
    engine.complete(world["officer"], step.id, {"ket_qua": "dat"})
    for who, element, data in [("police", "Opinion_police", {}), ("officer", "Opinion_div", {}),
                               ("leader", "Sign", {"so_quyet_dinh": "1/QĐ"}), ("clerk", "Return", {})]:
        do(engine, world[who], element, data)
    clock.set(vn(2026, 3, 10, 9))
    return a, b


def test_stats_page_shows_the_period_per_procedure_month_and_agency(client, engine, world, deployed, clock):
    journey(engine, world, deployed, clock)
    login(client, "leader")
    page = client.get(f"/stats?{PERIOD}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Thống kê giải quyết hồ sơ" in text and "T.000001" in text and "2026-03" in text
    assert "Phòng chuyên môn" in text and "PCM: 1" in text  # the agency at fault for the overdue dossier
    assert "Số hóa hồ sơ khi tiếp nhận" in text
    assert f"/stats.csv?by=procedure&amp;{PERIOD.replace('&', '&amp;')}" in text
    nav = client.get("/inbox").get_data(as_text=True)
    assert 'href="/stats"' in nav


def test_csv_and_xlsx_downloads_carry_the_counts(client, engine, world, deployed, clock):
    journey(engine, world, deployed, clock)
    login(client, "leader")
    response = client.get(f"/stats.csv?by=procedure&{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="thong-ke-procedure-20260301-20260331.csv"')
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["procedure"], row["received"], row["early"], row["on_time"], row["late"], row["overdue"]) == (
        "T.000001", "2", "1", "0", "0", "1")
    # QĐ 766: the open overdue dossier counts against the rate (1 early of 2 handled)
    assert row["on_time_rate"] == "50.0" and row["late_by_agency"] == "PCM: 1"
    assert row["average_working_days"] not in ("", None)

    xlsx = client.get(f"/stats.xlsx?by=agency&{PERIOD}")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="thong-ke-agency-20260301-20260331.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.values)
    header, body = list(values[0]), [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    assert header[:2] == ["Mã cơ quan", "Tên"]
    pcm = next(r for r in body if r["Mã cơ quan"] == "PCM")
    assert (pcm["Số hồ sơ"], pcm["Quá hạn"], pcm["Số hồ sơ gây quá hạn"]) == (2, 2, 1)
    desk = next(r for r in body if r["Mã cơ quan"] == "000.00.15.H12")
    assert desk["Số hồ sơ"] == 2 and desk["Quá hạn"] == 0

    month = client.get(f"/stats.csv?by=month&{PERIOD}").data.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(month)))["month"] == "2026-03"
    empty = client.get("/stats.csv?by=procedure&from=2026-02-01&to=2026-02-28")
    assert empty.status_code == 200 and empty.data.decode("utf-8-sig") == ""


def test_stats_permissions_and_bad_requests(client, engine, world, deployed, app):
    for path in ("/stats", "/stats.csv", "/stats.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, "clerk")
    for path in ("/stats", "/stats.csv", "/stats.xlsx"):
        assert client.get(path).status_code == 403
    assert 'href="/stats"' not in client.get("/inbox").get_data(as_text=True)
    leader = app.test_client()
    login(leader, "leader")
    assert leader.get("/stats?from=2026-03-31&to=2026-03-01").status_code == 400
    assert leader.get("/stats?from=hom-qua").status_code == 400
    assert leader.get("/stats.csv?by=gio").status_code == 400
    assert leader.get("/stats").status_code == 200  # this month by default


def test_stats_page_in_english(client, engine, world, deployed, clock):
    journey(engine, world, deployed, clock)
    login(client, "leader")
    post(client, "/lang/en", {"next": "/stats"})
    text = client.get(f"/stats?{PERIOD}").get_data(as_text=True)
    assert "Dossier handling statistics" in text and "By agency" in text and "Agency at fault" in text
    assert "Download XLSX" in text and "Thống kê giải quyết hồ sơ" not in text


def test_stats_page_draws_the_on_time_rate_with_the_tables_figures(client, engine, world, deployed, clock):
    import re

    journey(engine, world, deployed, clock)  # A early, B overdue: 1 of 2 on time (QĐ 766) → 50,0 %
    login(client, "leader")
    text = client.get(f"/stats?{PERIOD}").get_data(as_text=True)
    figures = re.findall(r'<svg [^>]*class="chart"[^>]*>.*?</svg>', text, re.S)
    assert len(figures) == 3  # months, agencies, procedures
    procedure = next(f for f in figures if "theo thủ tục" in f)
    assert "Tỷ lệ đúng hạn: 50,0" in procedure and "<rect" in procedure
    months = next(f for f in figures if "theo tháng" in f)
    assert "2026-03 (Tỷ lệ đúng hạn: 50,0)" in months
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # several charts on one page, each title and description its own id
    empty = client.get("/stats?from=2025-01-01&to=2025-01-31").get_data(as_text=True)
    assert 'class="chart"' not in empty


def test_stats_page_shows_the_satisfaction_index(client, engine, world, deployed, clock):
    from tests.webui.test_survey import secret_of

    a, _b = journey(engine, world, deployed, clock)
    secret = secret_of(engine, a)
    login(client, "leader")
    assert "Chưa có phiếu khảo sát trong kỳ." in client.get(f"/stats?{PERIOD}").get_data(as_text=True)
    from engine import citizen, survey

    answers = {q.key: 5 for q in survey.questionnaire().questions}
    answers[survey.questionnaire().questions[0].key] = 2  # one answer not satisfied
    citizen.submit_survey(engine, a, secret, answers)
    text = client.get(f"/stats?{PERIOD}").get_data(as_text=True)
    n = len(answers)
    expected = f"{100 * (n - 1) / n:.1f}".replace(".", ",") + "%"
    assert f'<th class="num satisfaction-index">{expected}</th>' in text

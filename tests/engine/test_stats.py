"""Statistics: steps per agency and dossiers per procedure, early / on time / late, over a period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine import spreadsheet, stats
from engine.errors import InvalidInput
from engine.runtime import Engine
from tests.conftest import World

APPLICANT = {"name": "Trần Thị Bình", "id_number": "079123456780", "phone": "0907654321", "address": "Mũi Né"}
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def do(engine: Engine, actor, element: str, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {})


def journey_with_late_examination(engine: Engine, world: World, clock) -> None:
    engine.start_dossier(world["clerk"], "T.000001", APPLICANT)  # Mon 2 March 08:00, due Mon 9 March
    do(engine, world["clerk"], "Receive")
    clock.advance(days=3)  # Thu 5 March 08:00: Examine was due Wed 4 March 08:00
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    do(engine, world["police"], "Opinion_police")
    do(engine, world["officer2"], "Opinion_div")
    do(engine, world["leader"], "Sign", {"so_quyet_dinh": "12/QĐ-UBND"})
    do(engine, world["clerk2"], "Return")


def compute(engine: Engine, period=MARCH):
    with engine.Session() as s:
        return stats.compute(s, engine.calendar(), *period, engine.now())


def test_a_journey_with_one_late_step(engine: Engine, world: World, deployed: str, clock):
    journey_with_late_examination(engine, world, clock)
    engine.start_dossier(world["clerk"], deployed, APPLICANT)  # still open, due Thu 12 March
    result = compute(engine)

    agencies = {a.code: a for a in result.by_agency}
    assert set(agencies) == {"000.00.15.H12", "PCM", "CA", "LD"}
    pcm = agencies["PCM"]
    assert (pcm.early, pcm.on_time, pcm.late, pcm.completed) == (1, 0, 1, 2)
    desk = agencies["000.00.15.H12"]
    assert (desk.on_time, desk.late, desk.open, desk.overdue) == (2, 0, 1, 0)
    assert (agencies["CA"].early, agencies["LD"].early) == (1, 1)

    (proc,) = result.by_procedure
    assert proc.code == "T.000001" and proc.name == "Thủ tục thử nghiệm ba cơ quan"
    assert (proc.received, proc.early, proc.on_time, proc.late, proc.open, proc.overdue) == (2, 1, 0, 0, 1, 0)
    assert proc.finished == 1
    assert proc.average_working_days == Decimal(3)  # Mon 08:00 → Thu 08:00


def test_overdue_now_and_period_bounds(engine: Engine, world: World, deployed: str, clock):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    clock.advance(days=14)
    result = compute(engine)
    (desk,) = result.by_agency
    assert (desk.open, desk.overdue, desk.completed) == (1, 1, 0)
    (proc,) = result.by_procedure
    assert (proc.received, proc.open, proc.overdue, proc.average_working_days) == (1, 1, 1, None)
    april = compute(engine, (date(2026, 4, 1), date(2026, 4, 30)))
    assert april.by_procedure[0].received == 0 and april.by_procedure[0].open == 1


def test_more_than_one_supplement_counts_late(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    for _ in range(2):
        do(engine, world["clerk"], "Receive")
        do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
        do(engine, world["clerk"], "Supplement")
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "khong_dat"})
    (proc,) = compute(engine).by_procedure
    assert (proc.early, proc.on_time, proc.late) == (0, 0, 1)


def test_empty_database_and_bad_period(engine: Engine):
    result = compute(engine)
    assert result.by_agency == [] and result.by_procedure == []
    with pytest.raises(InvalidInput):
        compute(engine, (date(2026, 3, 31), date(2026, 3, 1)))


# ---------------------------------------------------------------- dossier-level report (lifecycle helper)


def do_for(engine: Engine, actor, code: str, element: str, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element and s.dossier_code == code)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {})


def finish(engine: Engine, world: World, code: str, *, skip: tuple[str, ...] = ()) -> None:
    for actor, element, data in [("clerk", "Receive", {}), ("officer", "Examine", {"ket_qua": "dat"}),
                                 ("police", "Opinion_police", {}), ("officer", "Opinion_div", {}),
                                 ("leader", "Sign", {"so_quyet_dinh": "5/QĐ"}), ("clerk", "Return", {})]:
        if element not in skip:
            do_for(engine, world[actor], code, element, data)


def five_dossiers(engine: Engine, world: World, clock) -> dict[str, str]:
    from tests.conftest import vn

    codes = {k: engine.start_dossier(world["clerk"], "T.000001", APPLICANT).code  # Mon 2 March 08:00
             for k in ("early", "on_time", "late", "overdue", "withdrawn")}
    finish(engine, world, codes["early"])
    finish(engine, world, codes["late"], skip=("Opinion_police", "Sign", "Return"))
    do_for(engine, world["clerk"], codes["overdue"], "Receive")
    engine.withdraw(world["clerk"], codes["withdrawn"])
    clock.set(vn(2026, 3, 9, 7, 30))  # the due day, before the due time (08:00)
    finish(engine, world, codes["on_time"])
    clock.set(vn(2026, 3, 10, 8, 0))  # a day late: the police's opinion was due on 3 March
    do_for(engine, world["police"], codes["late"], "Opinion_police")
    do_for(engine, world["leader"], codes["late"], "Sign", {"so_quyet_dinh": "6/QĐ"})
    do_for(engine, world["clerk"], codes["late"], "Return")
    return codes


def facts(engine: Engine):
    with engine.Session() as s:
        return stats.dossier_facts(s, engine.calendar(), *MARCH, engine.now())


def test_dossier_facts_judge_each_dossier_and_name_the_agency_at_fault(engine: Engine, world: World, deployed,
                                                                       clock):
    codes = five_dossiers(engine, world, clock)
    by_code = {f.code: f for f in facts(engine)}
    assert {k: by_code[c].result for k, c in codes.items()} == {k: k for k in codes}
    late = by_code[codes["late"]]
    assert (late.late_agency_code, late.late_agency_name) == ("CA", "Công an tỉnh")
    assert by_code[codes["overdue"]].late_agency_code == "PCM"  # its examination is past due
    assert by_code[codes["on_time"]].late_agency_code == ""  # late steps, but the dossier was on time
    assert [by_code[codes[k]].handling_working_days for k in ("early", "on_time", "late")] == [
        Decimal("0.00"), Decimal("4.94"), Decimal("6.00")]
    parts = {p.code: p.result for p in by_code[codes["on_time"]].parts}
    assert parts == {"000.00.15.H12": "late", "PCM": "early", "CA": "early", "LD": "early"}  # the desk sat on it


def test_report_per_procedure_month_and_agency(engine: Engine, world: World, deployed, clock):
    five_dossiers(engine, world, clock)
    f = facts(engine)
    (proc,) = stats.report(f, "procedure")
    assert proc == {"procedure": "T.000001", "name": "Thủ tục thử nghiệm ba cơ quan", "received": 5,
                    "carried_over": 0, "early": 1,
                    "on_time": 1, "late": 1, "overdue": 1, "open": 0, "withdrawn": 1, "on_time_rate": 50.0,
                    "average_working_days": "3.65", "late_by_agency": {"CA": 1, "PCM": 1}}
    (month,) = stats.report(f, "month")
    assert month["month"] == "2026-03" and month["received"] == 5
    agencies = {r["agency"]: r for r in stats.report(f, "agency")}
    ca, pcm = agencies["CA"], agencies["PCM"]
    assert (ca["dossiers"], ca["early"], ca["late"], ca["caused_late"]) == (3, 2, 1, 1)
    assert (pcm["dossiers"], pcm["early"], pcm["late"], pcm["caused_late"]) == (4, 3, 1, 1)
    assert agencies["LD"]["caused_late"] == 0
    with pytest.raises(InvalidInput):
        stats.report(f, "weekday")


def test_report_exports_to_csv_and_xlsx(engine: Engine, world: World, deployed, clock):
    import io

    from openpyxl import load_workbook

    five_dossiers(engine, world, clock)
    rows = stats.report(facts(engine), "procedure")
    text = stats.to_csv(rows)
    assert text.startswith("\ufeffprocedure,name,received,")
    assert "Thủ tục thử nghiệm ba cơ quan" in text and "CA: 1; PCM: 1" in text
    sheet = load_workbook(io.BytesIO(spreadsheet.report_xlsx(rows, "procedure"))).active
    assert sheet.title == "Thống kê theo thủ tục"
    assert sheet["A1"].value == "Mã thủ tục" and sheet["B2"].value == "Thủ tục thử nghiệm ba cơ quan"
    assert sheet["A2"].value == "T.000001" and sheet["A2"].data_type == "s"  # a code stays text
    assert sheet["C2"].value == 5
    share = next(c for c in sheet[2] if sheet.cell(1, c.column).value == "Tỷ lệ đúng hạn")
    assert share.number_format == "0.0%" and 0 <= share.value <= 1
    months = load_workbook(io.BytesIO(spreadsheet.report_xlsx(stats.report(facts(engine), "month"), "month"))).active
    assert months["A2"].is_date and months["A2"].number_format == "mm/yyyy"
    assert stats.to_csv([]) == "\ufeff"

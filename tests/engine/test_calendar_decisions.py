"""Calendar decisions as data: the shipped files, the database's copy, admin additions and confirmation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import calendar_decisions
from engine.calendar import WorkingCalendar
from engine.calendar_data import CALENDAR_DIR, CalendarData, load_directory, make_decision, parse_file, shipped
from engine.errors import Conflict, InvalidInput
from engine.runtime import Engine
from tests.conftest import World, vn

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}


def test_every_shipped_decision_names_its_source_and_days():
    data = load_directory(CALENDAR_DIR)
    assert {d.key for d in data.decisions} >= {"2026-tet-duong-lich", "2026-tet-nguyen-dan", "2025-30-4-1-5"}
    for decision in data.decisions:
        assert decision.source.startswith("https://") and decision.days and decision.title
    new_year = next(d for d in data.decisions if d.key == "2026-tet-duong-lich")
    assert (new_year.number, new_year.issued_on, new_year.confirmed) == ("12729/VPCP-KGVX", date(2025, 12, 25), True)
    assert [(x.day, x.working) for x in new_year.days] == [(date(2026, 1, 2), False), (date(2026, 1, 10), True)]
    assert data.not_holidays == ("Ngày Văn hóa Việt Nam",)


def test_an_unconfirmed_decision_moves_no_day_until_confirmed():
    swap = make_decision(key="x", title="Hoán đổi", confirmed=False,
                         days=[(date(2027, 3, 1), False, ""), (date(2027, 3, 6), True, "")])
    assert WorkingCalendar(data=CalendarData((swap,))).is_working_day(date(2027, 3, 1))
    confirmed = make_decision(key="x", title="Hoán đổi", confirmed=True,
                              days=[(date(2027, 3, 1), False, "Nghỉ"), (date(2027, 3, 6), True, "")])
    cal = WorkingCalendar(data=CalendarData((confirmed,)))
    assert not cal.is_working_day(date(2027, 3, 1)) and cal.is_working_day(date(2027, 3, 6))
    assert cal.holiday_name(date(2027, 3, 1)) == "Nghỉ"


@pytest.mark.parametrize(("text", "message"), [
    ("[[decision]]\nkey = 'a'\ntitle = 't'\nconfirmed = true\n", "ít nhất một ngày"),
    ("[[decision]]\nkey = 'A B'\ntitle = 't'\nconfirmed = true\ndays_off = [{day = 2026-01-02}]\n", "Mã"),
    ("[[decision]]\nkey = 'a'\ntitle = 't'\nconfirmed = 'yes'\ndays_off = [{day = 2026-01-02}]\n", "confirmed"),
    ("[[decision]]\nkey = 'a'\ntitle = 't'\nconfirmed = true\ndays_off = [{day = 2026-01-02}]\n"
     "working_days = [{day = 2026-01-02}]\n", "hai lần"),
    ("[[decision]]\nkey = 'a'\ntitle = 't'\nconfirmed = true\nsource = 'ftp://x'\ndays_off = [{day = 2026-01-02}]\n",
     "http"),
    ("[[decision]\n", "TOML"),
])
def test_a_bad_file_is_refused_with_its_name_and_the_problem(tmp_path: Path, text: str, message: str):
    path = tmp_path / "2030.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message) as info:
        parse_file(path)
    assert "2030.toml" in str(info.value)


def test_sync_is_idempotent_and_keeps_an_admins_confirmation(engine: Engine):
    assert calendar_decisions.sync_shipped(engine) == len(shipped().decisions)
    assert calendar_decisions.sync_shipped(engine) == 0
    calendar_decisions.confirm_decision(engine, "2026-quoc-khanh-hoan-doi", "admin")
    assert calendar_decisions.sync_shipped(engine) == 0
    stored = {s.decision.key: s for s in calendar_decisions.list_decisions(engine, year=2026)}
    assert stored["2026-quoc-khanh-hoan-doi"].decision.confirmed
    assert stored["2026-quoc-khanh-hoan-doi"].confirmed_by == "admin"
    assert not engine.calendar().is_working_day(date(2026, 8, 31))
    with pytest.raises(Conflict):
        calendar_decisions.confirm_decision(engine, "2026-quoc-khanh-hoan-doi", "admin")
    assert [s.year for s in calendar_decisions.list_decisions(engine, year=2025)] == [2025, 2025]


def test_a_decision_added_later_recomputes_open_due_times(engine: Engine, world: World, deployed, clock):
    clock.set(vn(2027, 3, 1, 10, 0))  # Monday; T.000001 takes 5 working days
    dossier = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    assert dossier.due_at == vn(2027, 3, 8, 10, 0)
    calendar_decisions.add_decision(engine, number="99/VPCP-KGVX", issued_on=date(2027, 2, 20),
                                    issuer="Văn phòng Chính phủ", title="Nghỉ bù", source="", confirmed=True,
                                    days=[(date(2027, 3, 3), False, "Nghỉ")], actor="admin")
    after = engine.dossier(dossier.code)
    assert after.due_at == vn(2027, 3, 9, 10, 0)
    assert "dossier.due_recomputed" in [e.action for e in after.events]
    with pytest.raises(Conflict):
        calendar_decisions.add_decision(engine, number="99/VPCP-KGVX", issued_on=date(2027, 2, 20), issuer="",
                                        title="Nghỉ bù", source="", confirmed=True,
                                        days=[(date(2027, 3, 3), False, "")], actor="admin")

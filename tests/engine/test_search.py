"""Dossier search: code, diacritics-free name prefix, ID number, procedure, status, dates, visibility, pages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from engine import accounts
from engine.errors import InvalidInput, PermissionDenied
from engine.runtime import Engine, search_key
from engine.search import SearchQuery, search
from tests.conftest import PASSWORD, World


def find(engine: Engine, actor, **kw) -> list[str]:
    with engine.Session() as s:
        return [h.code for h in search(s, actor, SearchQuery(**kw), engine.calendar()).hits]


@pytest.fixture
def received(engine: Engine, world: World, deployed: str, clock) -> dict[str, str]:
    out = {}
    for name, id_number in (("Nguyễn Văn An", "079123456789"), ("Nguyễn Văn Anh", "079000000001"),
                            ("Trần Thị Bình", "079000000002"), ("Đặng Đức Long", "079000000003")):
        out[name] = engine.start_dossier(world["clerk"], deployed, {"name": name, "id_number": id_number}).code
        clock.advance(days=1)
    return out


def test_name_without_diacritics_finds_by_prefix(engine: Engine, world: World, received):
    clerk = world["clerk"]
    assert find(engine, clerk, text="nguyen van an") == [received["Nguyễn Văn Anh"], received["Nguyễn Văn An"]]
    assert find(engine, clerk, text="NGUYỄN VĂN AN  ") == find(engine, clerk, text="nguyen van an")
    assert find(engine, clerk, text="dang duc") == [received["Đặng Đức Long"]]
    assert find(engine, clerk, text="tran thi binh") == [received["Trần Thị Bình"]]
    assert find(engine, clerk, text="van an") == []  # a prefix of the whole name
    assert find(engine, clerk, text="100%_") == []


def test_code_id_number_procedure_status_and_dates(engine: Engine, world: World, received):
    clerk = world["clerk"]
    code = received["Trần Thị Bình"]
    assert find(engine, clerk, text=code) == [code]
    assert find(engine, clerk, text=code.lower()) == [code]
    assert find(engine, clerk, text="079000000003") == [received["Đặng Đức Long"]]
    assert len(find(engine, clerk, procedure="T.000001")) == 4
    assert find(engine, clerk, procedure="KHAC") == []
    assert len(find(engine, clerk, status="received")) == 4 and find(engine, clerk, status="completed") == []
    assert find(engine, clerk, date_from=date(2026, 3, 4), date_to=date(2026, 3, 4)) == [code]
    assert find(engine, clerk, date_from=date(2026, 3, 5)) == [received["Đặng Đức Long"]]
    assert len(find(engine, clerk, date_to=date(2026, 3, 3))) == 2
    with pytest.raises(InvalidInput):
        find(engine, clerk, date_from=date(2026, 3, 5), date_to=date(2026, 3, 1))
    with pytest.raises(InvalidInput):
        find(engine, clerk, status="bogus")


def test_pages_come_newest_first(engine: Engine, world: World, received):
    with engine.Session() as s:
        first = search(s, world["clerk"], SearchQuery(per_page=3), engine.calendar())
        second = search(s, world["clerk"], SearchQuery(per_page=3, page=2), engine.calendar())
    assert first.has_next and not second.has_next
    assert [h.code for h in first.hits + second.hits] == list(reversed(received.values()))
    assert first.hits[0].procedure_name == "Thủ tục thử nghiệm ba cơ quan"


def test_results_are_limited_to_what_the_official_may_see(engine: Engine, world: World, received):
    with engine.transaction() as s:
        accounts.add_agency(s, "KHAC", "Bộ phận Một cửa khác", now=engine.now())
        other = accounts.add_official(s, "clerk_other", full_name="Other", agency_code="KHAC", roles="clerk",
                                      password=PASSWORD, now=engine.now())
        admin = accounts.add_official(s, "root", full_name="Admin", agency_code="KHAC", roles="admin",
                                      password=PASSWORD, now=engine.now())
    assert find(engine, other, text="nguyen") == []
    assert len(find(engine, admin, text="nguyen")) == 2
    assert find(engine, world["lead_pcm"], text="nguyen") == []  # no step at the division yet
    step = next(s for s in engine.inbox(world["clerk"]) if s.dossier_code == received["Nguyễn Văn An"])
    engine.claim(world["clerk"], step.id)
    engine.complete(world["clerk"], step.id, {})
    assert find(engine, world["lead_pcm"], text="nguyen") == [received["Nguyễn Văn An"]]
    with pytest.raises(PermissionDenied):
        find(engine, world["officer"], text="nguyen")  # officers work from their inbox



def test_an_officials_name_search_reads_only_their_agencys_rows(engine: Engine, world: World, deployed: str, clock):
    """The name's key is kept beside each agency taking part (dossier_agencies), from receipt on
    and for every agency that later holds a step; the pages match an admin's search restricted
    to what the official may see."""
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Văn Bảo", "Nguyễn Thị Cúc", "Lê Văn Dũng",
             "Nguyễn Văn Em", "Nguyễn Văn Giang"]
    codes = {}
    for name in names:
        codes[name] = engine.start_dossier(world["clerk"], deployed, {"name": name}).code
        clock.advance(hours=1)
    with engine.db.connect() as conn:
        keys = dict(conn.execute(text("SELECT d.code, da.applicant_search FROM dossier_agencies da "
                                      "JOIN dossiers d ON d.id = da.dossier_id")).all())
    assert keys == {codes[n]: search_key(n) for n in names}
    newest_van = [codes[n] for n in reversed(names) if n.startswith("Nguyễn Văn")]
    clerk = world["clerk"]
    for per_page in (1, 2, 3):
        pages = [find(engine, clerk, text="nguyen van", per_page=per_page, page=p) for p in (1, 2, 3, 4)]
        assert [c for page in pages for c in page] == newest_van
    assert find(engine, clerk, text="nguyen van", status="received", date_from=date(2026, 3, 2)) == newest_van
    assert find(engine, clerk, text="nguyen van", procedure="KHAC") == []
    assert find(engine, world["lead_pcm"], text="nguyen") == []  # the division holds no step yet
    bao = codes["Nguyễn Văn Bảo"]  # once the division holds a step of one dossier, it finds that one
    step = next(s for s in engine.inbox(clerk) if s.dossier_code == bao)
    engine.claim(clerk, step.id)
    engine.complete(clerk, step.id, {"du_giay_to": True})
    assert find(engine, world["lead_pcm"], text="nguyen") == [bao]
    assert find(engine, world["lead_pcm"], text="nguyen van bao") == [bao]
    assert find(engine, world["lead_pcm"], text="tran") == []

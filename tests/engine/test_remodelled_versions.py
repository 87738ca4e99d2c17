"""A procedure re-modelled after the 2025 reorganisation is a new version: a dossier started on the
district-era version finishes on it, even after the district agencies are dissolved; new dossiers
take the new version, whose kind lanes go to the dossier's commune."""

from __future__ import annotations

import tomllib
from typing import Any

from engine import accounts, succession
from engine.demo import load_registry
from engine.runtime import Engine
from tests.conftest import DATA, PASSWORD, ROOT
from tests.engine.procedure_paths import MTP_COMMUNE, MTP_GRANT, MTP_OK, MTP_START

WORKFLOWS = ROOT / "workflows"
OLD = {"OLD.PN": "UBND xã Phong Nẫm", "OLD.PT.P": "Phòng LĐ-TB&XH thành phố Phan Thiết",
       "OLD.PT": "UBND thành phố Phan Thiết"}
SUCCESSORS = {"OLD.PN": "UBNDX.LH", "OLD.PT.P": "UBNDX.LH.VHXH", "OLD.PT": "UBNDX.LH.LD"}
APPLICANT = {"name": "Nguyễn Thị Bình", "id_number": "060187001234"}


class Officials:
    """An official of any agency and role, made on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.made = engine, {}

    def __call__(self, agency: str, role: str) -> Any:
        key = f"{agency}.{role}".lower()
        if key not in self.made:
            with self.engine.transaction() as s:
                self.made[key] = accounts.add_official(s, key, full_name=key, agency_code=agency, roles=role,
                                                       password=PASSWORD, now=self.engine.now())
        return self.made[key]


def act(engine: Engine, people: Officials, code: str, do: Any) -> Any:
    """Complete the dossier's open step ``do.element`` as an official of the agency holding it."""
    step = next(s for s in engine.dossier(code).open_steps if s.element_id == do.element)
    who = people(step.agency_code, do.role)
    engine.claim(who, step.id)
    return engine.complete(who, step.id, dict(do.data))


def test_a_district_era_dossier_finishes_on_its_version(engine: Engine):
    with engine.transaction() as s:
        load_registry(s, WORKFLOWS, engine.now())
        for code, name in OLD.items():
            accounts.add_agency(s, code, name, now=engine.now(), level="commune")
    people = Officials(engine)
    old = engine.deploy((DATA / "mai_tang_phi_district_era.bpmn").read_bytes(), filename="old.bpmn")
    assert old.version == 1
    first = engine.start_dossier(people("OLD.PN", "clerk"), "1.001731", APPLICANT, MTP_START)
    acts = [*MTP_COMMUNE, MTP_OK, *MTP_GRANT]
    for do in acts[:2]:
        act(engine, people, first.code, do)

    # 2026: the re-modelled procedure is published; the district tier's agencies are dissolved.
    with (WORKFLOWS / "mai_tang_phi.toml").open("rb") as fh:
        new = engine.deploy((WORKFLOWS / "mai_tang_phi.bpmn").read_bytes(), filename="mai_tang_phi.bpmn",
                            metadata=tomllib.load(fh))
    assert new.version == 2
    with engine.transaction() as s:
        for code, successor in SUCCESSORS.items():
            succession.dissolve(s, code, successor, now=engine.now())
    engine.directory(fresh=True)

    second = engine.start_dossier(people("UBNDX.LH", "clerk"), "1.001731", APPLICANT, MTP_START)
    assert second.definition_version == 2 and second.commune_code == "68001"
    assert [s.agency_code for s in second.open_steps] == ["UBNDX.LH"]

    for do in acts[2:]:
        done = act(engine, people, first.code, do)
    view = engine.dossier(first.code)
    assert view.definition_version == 1 and view.status == "returned"
    # Its diagram is the district-era one: the appraisal is the old division's step, now handled by
    # the commune's Phòng Văn hóa – Xã hội; the steps done before the dissolution keep their agency.
    by_element = {s.element_id: s for s in view.steps}
    assert by_element["Task_tiep_nhan"].agency_code == "OLD.PN"
    assert by_element["Task_phong_tham_dinh"].agency_code == "UBNDX.LH.VHXH"
    assert by_element["Task_quyet_dinh"].agency_code == "UBNDX.LH.LD"
    assert by_element["Task_phong_tham_dinh"].name == "Chuyên viên thẩm định hồ sơ, dự thảo quyết định"
    assert done.status == "returned"

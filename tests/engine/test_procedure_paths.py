"""Every shipped procedure, along every path of its diagram, through the engine.

Main path, refusals, the supplement loop (once, twice, then withdrawn), each consultation outcome,
the leader's own decision (grant or refuse against the appraisal, send back for rework), every
combination of benefits in the death-registration chain with the funeral-support refusal notice and
the police's residence notice (still "returned"), the public-posting timer and the
complaint loop of the poor-household recognition, the reminder timer of the monthly allowance,
the parallel registrations of the initiative campaign. Each path is a row of data (see
``procedure_driver``): who does which step, with which form data, and how the dossier ends.

Isolation: the demo is seeded once per module (agencies, ~50 officials, the eight procedures) and
every test starts its own dossier on that database; the driver only ever
looks at its own dossier's steps, inbox entries, events and timers, so tests do not interfere.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path as FsPath

import pytest

from engine import accounts
from engine.demo import seed
from engine.errors import FormInvalid
from engine.runtime import Engine
from tests.conftest import PASSWORD, ROOT, FakeClock, _truncate_pg, vn
from tests.engine.procedure_driver import APPLICANT, Do, Driver, Path
from tests.engine.procedure_paths import (
    ALL_PATHS,
    GPLD_PATHS,
    GPLD_RECEIVE,
    GPLD_REVIEW,
    GPLD_START,
    MTP_COMMUNE,
    MTP_GRANT,
    MTP_OK,
    MTP_START,
    MTP_SUPPLEMENT,
    PN,
    PROCEDURES,
    PT,
    PT_P,
    TCLS_COMMUNE,
    TCLS_START,
    TCLS_TO_DEPARTMENT,
    gpld_appraise,
    gpld_leader,
    kt_path,
    tcls_appraise,
    tcls_leader,
)

WORKFLOWS = ROOT / "workflows"
MONDAY = vn(2026, 3, 2, 8, 0)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: FsPath, _pg_database: str) -> Iterator[Driver]:
    """The demo seeded once for the module: agencies, officials, the eight procedures."""
    if _pg_database:
        _truncate_pg(_pg_database)
        url = _pg_database
    else:
        path = tmp_path_factory.mktemp("paths") / "seeded.sqlite"
        shutil.copy(_sqlite_template, path)
        url = f"sqlite:///{path}"
    clock = FakeClock(MONDAY)
    eng = Engine(url, clock=clock)
    # Nobody logs in here: hash the demo password once instead of once per official (~0.3 s each).
    stored = accounts.hash_password(PASSWORD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hash_password", lambda _password: stored)
        seed(eng, WORKFLOWS, PASSWORD)
    try:
        yield Driver(eng, clock, PROCEDURES)
    finally:
        eng.close()


# ---------------------------------------------------------------- tests


def test_the_paths_cover_every_procedure_and_every_step(driver: Driver) -> None:
    """Each shipped procedure has paths here, and they visit every human step and timer of its diagram."""
    from engine.catalog import procedure_files
    from engine.definitions import load_definition

    files = {bpmn.stem: bpmn for bpmn, _ in procedure_files(WORKFLOWS)}
    assert set(files) == set(PROCEDURES)
    for name, bpmn in files.items():
        definition = load_definition(bpmn.read_bytes(), bpmn.name)
        proc = PROCEDURES[name]
        assert definition.procedure_code == proc.code
        assert definition.limit_working_days == proc.limit
        assert set(definition.steps) == set(proc.budgets), name
        for element, budget in proc.budgets.items():
            assert definition.steps[element].working_days == Decimal(budget), (name, element)
        visited = {a.element for p in ALL_PATHS if p.procedure == name for a in p.acts}
        timers = {n.id for n in definition.process.nodes.values() if n.timer}
        assert visited == set(definition.steps) | timers, (name, set(definition.steps) | timers - visited)
        outcomes = {p.outcome for p in ALL_PATHS if p.procedure == name}
        assert outcomes == {o for o in definition.outcomes.values() if o}, name


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: p.id)
def test_path(driver: Driver, path: Path) -> None:
    driver.run(path, MONDAY)


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: p.id)
def test_answers_with_only_the_open_steps_match_a_read(driver: Driver, path: Path) -> None:
    """``with_steps="open"`` / ``with_history="open"`` build the open steps from the rows in hand
    (no read-back): after reception and every completion they equal the open steps a read gives."""
    driver.open_answers = True
    try:
        driver.run(path, MONDAY)
    finally:
        driver.open_answers = False


def test_work_permit_runs_on_the_limit_of_decree_219_2025(driver: Driver) -> None:
    """10 working days (Decree 219/2025/NĐ-CP as reported; no provincial cut of the merged
    province yet): Monday 2 March 08:00 → Monday 16 March 08:00."""
    summary = driver.engine.procedure("BTH.LDVL.01")
    assert summary.legal_working_days == 10 and summary.reduced_working_days is None
    d = driver.run(GPLD_PATHS[0], MONDAY)
    assert d.due_at == vn(2026, 3, 16, 8, 0)
    receive = next(s for s in d.steps if s.element_id == "Task_tiep_nhan")
    assert receive.due_at == vn(2026, 3, 2, 14, 0)  # half a day: 08:00–11:30, 13:30–14:00


def test_death_registration_received_after_15h_counts_from_the_next_morning(driver: Driver) -> None:
    d = driver.run(kt_path(False, False, False), vn(2026, 3, 2, 15, 30))
    assert d.counting_from == vn(2026, 3, 3, 7, 0)
    assert d.due_at == driver.engine.calendar().add(vn(2026, 3, 3, 7, 0), days=10)
    receive = next(s for s in d.steps if s.element_id == "Task_tiep_nhan")
    assert receive.due_at == vn(2026, 3, 3, 9, 30)  # 1.5 h on Monday, 2.5 h on Tuesday


def test_supplement_restarts_the_limit_from_the_complete_dossier(driver: Driver) -> None:
    """Art. 19.4: after the supplement the dossier is due the full limit after it came back complete."""
    path = Path("mtp-supplement-due", "mai_tang_phi", MTP_START,
                [*MTP_COMMUNE, *MTP_SUPPLEMENT, MTP_OK, *MTP_GRANT], "returned", supplements=1)
    d = driver.run(path, MONDAY)
    back = next(e for e in d.events if e.action == "dossier.supplemented")
    cal = driver.engine.calendar()
    assert d.counting_from == cal.counting_start(back.at)
    assert d.due_at == cal.add(d.counting_from, days=5)
    assert d.due_at > cal.add(cal.counting_start(MONDAY), days=5)


def test_form_values_typed_as_an_html_form_sends_them_end_typed(driver: Driver) -> None:
    """Strings from a browser form (thousands dots, 'on', ISO dates) are stored as long, boolean, date."""
    acts = [
        Do("Task_tiep_nhan", PN, "clerk", {"co_to_khai_mau_04": "on", "co_ban_sao_giay_chung_tu": "có",
                                           "co_quyet_dinh_thoi_huong": ""},
           expect={"co_to_khai_mau_04": True, "co_ban_sao_giay_chung_tu": True, "co_quyet_dinh_thoi_huong": False}),
        MTP_COMMUNE[1],
        Do("Task_xa_chuyen", PN, "leader", {"so_van_ban_de_nghi": " 12/UBND ", "ngay_van_ban_de_nghi": "2026-03-03"},
           expect={"so_van_ban_de_nghi": "12/UBND"}),
        Do("Task_phong_tham_dinh", PT_P, "officer", {"ket_qua_tham_dinh": "dat", "so_tien_de_xuat": "9.000.000"},
           expect={"so_tien_de_xuat": 9_000_000}),
        *MTP_GRANT[:1],
        Do("Task_quyet_dinh", PT, "leader", {"so_quyet_dinh": "345/QĐ-UBND", "ngay_quyet_dinh": "2026-03-06",
                                             "so_tien_ho_tro": "9000000"}, expect={"so_tien_ho_tro": 9_000_000}),
        MTP_GRANT[-1],
    ]
    start = {"ho_ten_nguoi_mat": "Trần Văn Cường", "ngay_mat": "2026-02-25",
             "doi_tuong_nguoi_mat": "ho_ngheo_can_ngheo", "quan_he_voi_nguoi_mat": "Vợ"}
    d = driver.run(Path("mtp-strings", "mai_tang_phi", start, acts, "returned"), MONDAY)
    decision = next(s for s in d.steps if s.element_id == "Task_quyet_dinh")
    assert {k: v for k, v in decision.form_data.items() if k != "quyet_dinh_da_ky"} == {
        "so_quyet_dinh": "345/QĐ-UBND", "ngay_quyet_dinh": "2026-03-06", "so_tien_ho_tro": 9_000_000}
    assert decision.form_data["quyet_dinh_da_ky"].isdigit()  # the signed decision attached at the step
    assert d.applicant["name"] == APPLICANT["name"]


# ---------------------------------------------------------------- leader decisions, refusal notices


def _kt_acts_until(element: str, **kw: object) -> tuple[Path, Do]:
    """The khai tử path of ``kw`` cut just before ``element``, and the act completing it."""
    path = kt_path(**kw)  # type: ignore[arg-type]
    i = next(i for i, a in enumerate(path.acts) if a.element == element)
    act = path.acts[i]
    assert isinstance(act, Do)
    return Path(path.id + "-prefix", path.procedure, path.start, path.acts[:i], "processing"), act


def _gpld_until(choice: str, index: int) -> tuple[Path, Do]:
    acts = [GPLD_RECEIVE, gpld_appraise("dat"), GPLD_REVIEW, *gpld_leader(choice)]
    cut = 3 + index
    return Path(f"gpld-{choice}-prefix", "giay_phep_lao_dong", GPLD_START, acts[:cut], "processing"), acts[cut]


def _tcls_until(choice: str, index: int) -> tuple[Path, Do]:
    acts = [*TCLS_COMMUNE, *TCLS_TO_DEPARTMENT, *tcls_appraise("dat"), *tcls_leader(choice)]
    cut = len(acts) - len(tcls_leader(choice)) + index
    return Path(f"tcls-{choice}-prefix", "tho_cung_liet_si", TCLS_START, acts[:cut], "processing"), acts[cut]


REQUIRED_CASES = {
    "gpld-leader-decision": (*_gpld_until("dong_y", 0), {"phe_duyet"}),
    "gpld-permit": (*_gpld_until("dong_y", 1), {"so_giay_phep", "ngay_cap_giay_phep", "thoi_han_den"}),
    "gpld-refusal": (*_gpld_until("khong_dong_y", 1), {"so_van_ban_tu_choi", "ly_do_tu_choi"}),
    "tcls-leader-decision": (*_tcls_until("dong_y", 0), {"phe_duyet"}),
    "tcls-decision": (*_tcls_until("dong_y", 1), {"so_quyet_dinh", "ngay_quyet_dinh", "muc_tro_cap_tho_cung"}),
    "tcls-refusal": (*_tcls_until("khong_dong_y", 1), {"so_van_ban_tra_loi", "ly_do_tu_choi"}),
    "kt-funeral-refusal": (*_kt_acts_until("Task_mai_tang_tu_choi", tu_tuat=False, mai_tang=True, ncc=False,
                                           variant=1), {"ly_do_tu_choi_mai_tang", "so_thong_bao_mai_tang"}),
    "kt-funeral-decision": (*_kt_acts_until("Task_mai_tang_quyet_dinh", tu_tuat=False, mai_tang=True, ncc=False),
                            {"so_quyet_dinh_mai_tang", "so_tien_ho_tro_mai_tang"}),
    "kt-residence-notice": (*_kt_acts_until("Task_thong_bao_cu_tru", tu_tuat=False, mai_tang=False, ncc=False,
                                            removed=False), {"ly_do_khong_xoa_thuong_tru", "so_thong_bao_cu_tru"}),
}


@pytest.mark.parametrize("case", REQUIRED_CASES, ids=str)
def test_granting_and_refusing_steps_require_their_number_and_reason(driver: Driver, case: str) -> None:
    """A permit, decision or refusal notice is not completed without its number (or decision, or reason)."""
    prefix, act, required = REQUIRED_CASES[case]
    d = driver.run(prefix, MONDAY, finish=False)
    actor = driver.actor(act.agency, act.role)
    step = driver.open_in_inbox(d.id, act, actor)
    driver.engine.claim(actor, step.id)
    for field in sorted(required):
        with pytest.raises(FormInvalid) as err:
            driver.engine.complete(actor, step.id, {k: v for k, v in act.data.items() if k != field})
        assert field in err.value.errors, err.value.errors
    assert {s.element_id for s in driver.engine.dossier(d.code).open_steps} == {act.element}
    driver.engine.complete(actor, step.id, dict(act.data))


def test_death_chain_returns_refusal_notices_with_the_other_results(driver: Driver) -> None:
    """Funeral support refused and residence not removed: notices with reasons, no decision; all returned."""
    d = driver.run(kt_path(True, True, True, variant=1, removed=False), MONDAY)
    assert d.status == d.outcome == "returned"
    done = {s.element_id: s for s in d.steps}
    assert "Task_mai_tang_quyet_dinh" not in done
    assert done["Task_mai_tang_tu_choi"].form_data["ly_do_tu_choi_mai_tang"]
    assert done["Task_thong_bao_cu_tru"].form_data["ly_do_khong_xoa_thuong_tru"]
    assert {"Task_tu_tuat", "Task_ncc_quyet_dinh", "Task_tra_ket_qua"} <= set(done)
    # The desk returns last, after every branch (results and notices alike).
    assert max(done.values(), key=lambda s: s.id).element_id == "Task_tra_ket_qua"


def test_leader_sending_back_does_not_restart_the_limit(driver: Driver) -> None:
    """A send-back (tra_lai) is the agency's own rework: unlike a supplement, the clock keeps running."""
    path = next(p for p in GPLD_PATHS if p.id == "gpld-sent-back-then-granted")
    d = driver.run(path, MONDAY)
    cal = driver.engine.calendar()
    assert d.supplement_count == 0
    assert d.counting_from == cal.counting_start(MONDAY)
    assert d.due_at == d.original_due_at == cal.add(d.counting_from, days=10)
    appraisals = [s for s in d.steps if s.element_id == "Task_tham_dinh"]
    assert len(appraisals) == 2 and all(s.state == "completed" for s in appraisals)

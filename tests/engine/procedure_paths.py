"""The paths of every shipped procedure, as rows of data for ``procedure_driver``.

Per procedure: its code, limit and step budgets (``PROCEDURES``), then who does which step with which
form data and how the dossier ends, along every path of its diagram (``ALL_PATHS``, grouped per
procedure as ``MTP_PATHS``, ``TCXH_PATHS`` ...). ``test_procedure_paths`` runs them through the engine.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from tests.engine.procedure_driver import Do, Fire, Path, Procedure, opened

# Agencies (codes in workflows/agencies.toml). The lanes name agency kinds: each dossier's steps go
# to the agencies of its commune (the receiving desk's unit): xã Liên Hương (LH) or xã Bắc Bình (BB),
# and to the province's departments.
PN, PN_TP, PN_BCD, CA_PN = "UBNDX.LH", "UBNDX.LH.TP", "UBNDX.LH.BCDGN", "CAX.LH"
HL = "UBNDX.BB"
PT, PT_P, BHXH_PT = "UBNDX.LH.LD", "UBNDX.LH.VHXH", "BHXHT"
HTB, HTB_P = "UBNDX.BB.LD", "UBNDX.BB.VHXH"
S_VP, S_LD, S_HD = "SNV.VP", "SNV.LD", "SNV.HDSK"
S_BTXH, S_NCC, S_LDVL = "SNV.TTDVVL", "SNV.PNCC", "SNV.PLDVL"
TT = "TTPVHCC"

RETURNS = {"Task_tra_ket_qua": "0", "Task_tra_tu_choi": "0"}
SUPPLEMENT = {"Task_cho_bo_sung": "0"}

PROCEDURES = {
    "mai_tang_phi": Procedure("1.001731", PN, Decimal(5), {
        "Task_tiep_nhan": "0.5", "Task_xa_xac_minh": "1", "Task_xa_chuyen": "0.5", "Task_phong_tham_dinh": "1.5",
        "Task_phong_trinh": "0.5", "Task_quyet_dinh": "1", **RETURNS, **SUPPLEMENT}, "Task_tiep_nhan"),
    "tro_cap_xa_hoi_hang_thang": Procedure("1.001776", HL, Decimal(20), {
        "Task_tiep_nhan": "0.5", "Task_xa_xet_duyet": "5.5", "Task_xa_niem_yet": "2", "Task_xa_trinh": "2",
        "Task_phong_tham_dinh": "7", "Task_quyet_dinh": "3", "Task_phong_tu_choi": "1", **RETURNS, **SUPPLEMENT},
        "Task_tiep_nhan"),
    "tho_cung_liet_si": Procedure("BTH.NCC.01", HL, Decimal(18), {
        "Task_tiep_nhan": "0.5", "Task_xa_xac_nhan": "1.5", "Task_xa_chuyen": "1", "Task_huyen_kiem_tra": "4",
        "Task_huyen_chuyen": "1", "Task_so_tham_dinh": "6", "Task_so_truong_phong": "1.5", "Task_so_phe_duyet": "1",
        "Task_so_ky": "1.5", "Task_so_tu_choi": "1.5", **RETURNS, **SUPPLEMENT}, "Task_tiep_nhan"),
    "lien_thong_khai_sinh": Procedure("BTH.LT.01", PN, Decimal(3), {
        "Task_tiep_nhan": "0.5", "Task_dang_ky_khai_sinh": "1", "Task_thuong_tru": "1.5", "Task_the_bhyt": "1",
        **RETURNS}, "Task_tiep_nhan"),
    "lien_thong_khai_tu": Procedure("1.011537", PN, Decimal(10), {
        "Task_tiep_nhan": "0.5", "Task_khai_tu": "0.5", "Task_xoa_thuong_tru": "2", "Task_thong_bao_cu_tru": "1",
        "Task_tu_tuat": "7", "Task_mai_tang_tham_dinh": "4", "Task_mai_tang_quyet_dinh": "2",
        "Task_mai_tang_tu_choi": "1", "Task_ncc_lap_ho_so": "3", "Task_ncc_quyet_dinh": "4", "Task_tra_ket_qua": "0"},
        "Task_tiep_nhan"),
    "giay_phep_lao_dong": Procedure("BTH.LDVL.01", TT, Decimal(10), {  # Decree 219/2025 (to confirm)
        "Task_tiep_nhan": "0.5", "Task_tham_dinh": "6", "Task_truong_phong": "1.5", "Task_phe_duyet": "1",
        "Task_ky": "1", "Task_ky_tu_choi": "1", **RETURNS, **SUPPLEMENT}, "Task_tiep_nhan"),
    "cong_nhan_ho_ngheo": Procedure("BTH.GN.01", PN, Decimal(15), {
        "Task_tiep_nhan": "0.5", "Task_bcd_xem_xet": "1.5", "Task_khao_sat": "3", "Task_hop_dan": "2",
        "Task_tong_hop_niem_yet": "1", "Task_phuc_tra": "2", "Task_bao_cao": "1", "Task_cong_nhan": "3",
        **RETURNS}, "Task_tiep_nhan"),
    "sang_kien_cai_cach": Procedure("BTH.NB.01", S_VP, Decimal(30), {
        "Task_ke_hoach": "3", "Task_duyet_ke_hoach": "2", "Task_dang_ky_btxh": "10", "Task_dang_ky_ncc": "10",
        "Task_dang_ky_ldvl": "10", "Task_tong_hop": "2", "Task_danh_gia": "10", "Task_cong_nhan": "3",
        "Task_cong_bo": "0", "Task_thong_bao": "0"}, "Task_ke_hoach"),
}


def supplement(desk: str, choice: str, then_open: frozenset[str] | None = None,
               then_status: str | None = None) -> Do:
    """The applicant supplements (back to the examining step) or withdraws, at the desk."""
    return Do("Task_cho_bo_sung", desk, "clerk",
              {"ket_qua_bo_sung": choice, "noi_dung_bo_sung": "Bổ sung bản sao giấy tờ còn thiếu"},
              then_open=then_open, then_status=then_status)


# ---------------------------------------------------------------- 1. Hỗ trợ chi phí mai táng (1.001731)

MTP_START = {"ho_ten_nguoi_mat": "Trần Văn Cường", "ngay_mat": date(2026, 2, 25),
             "doi_tuong_nguoi_mat": "dang_huong_tro_cap_hang_thang", "quan_he_voi_nguoi_mat": "Con"}
MTP_COMMUNE = [
    Do("Task_tiep_nhan", PN, "clerk", {"co_to_khai_mau_04": True, "co_ban_sao_giay_chung_tu": True,
                                       "ghi_chu_tiep_nhan": "Đủ thành phần"}, then_status="processing"),
    Do("Task_xa_xac_minh", PN, "officer", {"nhan_xet_cua_xa": "Đúng đối tượng đang hưởng trợ cấp"}),
    Do("Task_xa_chuyen", PN, "leader", {"so_van_ban_de_nghi": "12/UBND-LĐTBXH",
                                        "ngay_van_ban_de_nghi": date(2026, 3, 3)},
       then_open=opened("Task_phong_tham_dinh")),
]


def mtp_appraise(result: str, **data: object) -> Do:
    then = {"dat": "Task_phong_trinh", "khong_dat": "Task_tra_tu_choi", "bo_sung": "Task_cho_bo_sung"}[result]
    status = "waiting_supplement" if result == "bo_sung" else "processing"
    return Do("Task_phong_tham_dinh", PT_P, "officer", {"ket_qua_tham_dinh": result, **data},
              then_open=opened(then), then_status=status)


MTP_GRANT = [
    Do("Task_phong_trinh", PT_P, "leader", {"y_kien_truong_phong": "Đồng ý trình"}),
    Do("Task_quyet_dinh", PT, "leader", {"so_quyet_dinh": "345/QĐ-UBND", "ngay_quyet_dinh": date(2026, 3, 6),
                                         "so_tien_ho_tro": 9_000_000}, then_open=opened("Task_tra_ket_qua")),
    Do("Task_tra_ket_qua", PN, "clerk"),
]
MTP_REFUSE = [Do("Task_tra_tu_choi", PN, "clerk")]
MTP_SUPPLEMENT = [mtp_appraise("bo_sung", ly_do="Thiếu bản sao giấy chứng tử"),
                  supplement(PN, "da_bo_sung", then_open=opened("Task_phong_tham_dinh"), then_status="processing")]
MTP_OK = mtp_appraise("dat", so_tien_de_xuat=9_000_000)

MTP_PATHS = [
    Path("mtp-main", "mai_tang_phi", MTP_START, [*MTP_COMMUNE, MTP_OK, *MTP_GRANT], "returned"),
    Path("mtp-refused", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, mtp_appraise("khong_dat", ly_do="Không thuộc đối tượng"), *MTP_REFUSE], "refused"),
    Path("mtp-supplement-once", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, *MTP_SUPPLEMENT, MTP_OK, *MTP_GRANT], "returned", supplements=1),
    Path("mtp-supplement-twice", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, *MTP_SUPPLEMENT, *MTP_SUPPLEMENT, MTP_OK, *MTP_GRANT], "returned", supplements=2),
    Path("mtp-supplement-then-refused", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, *MTP_SUPPLEMENT, mtp_appraise("khong_dat", ly_do="Không thuộc đối tượng"), *MTP_REFUSE],
         "refused", supplements=1),
    Path("mtp-withdrawn", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, mtp_appraise("bo_sung", ly_do="Thiếu tờ khai"), supplement(PN, "rut_ho_so")], "withdrawn"),
    Path("mtp-supplement-then-withdrawn", "mai_tang_phi", MTP_START,
         [*MTP_COMMUNE, *MTP_SUPPLEMENT, mtp_appraise("bo_sung", ly_do="Vẫn thiếu"), supplement(PN, "rut_ho_so")],
         "withdrawn", supplements=1),
]

# ---------------------------------------------------------------- 2. Trợ cấp xã hội hằng tháng (1.001776)

TCXH_START = {"ho_ten_doi_tuong": "Lê Thị Dung", "ngay_sinh_doi_tuong": date(1940, 5, 1),
              "nhom_doi_tuong": "nguoi_cao_tuoi"}
TCXH_RECEIVE = Do("Task_tiep_nhan", HL, "clerk", {"co_to_khai_mau_1": True, "co_giay_to_chung_minh": True})
TCXH_COMMUNE = [
    TCXH_RECEIVE,
    Do("Task_xa_xet_duyet", HL, "officer", {"ket_qua_xet_duyet_xa": "du_dieu_kien",
                                            "bien_ban_xet_duyet": "Hội đồng thống nhất 7/7"},
       then_open=opened("Task_xa_niem_yet")),
    Do("Task_xa_niem_yet", HL, "officer", {"co_y_kien_phan_anh": False}),
    Do("Task_xa_trinh", HL, "leader", {"so_van_ban_de_nghi": "45/UBND", "ngay_van_ban_de_nghi": date(2026, 3, 10)},
       then_open=opened("Task_phong_tham_dinh")),
]


def tcxh_appraise(result: str, **data: object) -> Do:
    then = {"dat": "Task_quyet_dinh", "khong_dat": "Task_phong_tu_choi", "bo_sung": "Task_cho_bo_sung"}[result]
    return Do("Task_phong_tham_dinh", HTB_P, "officer", {"ket_qua_tham_dinh": result, **data},
              then_open=opened(then))


TCXH_OK = tcxh_appraise("dat", muc_tro_cap_de_xuat=540_000)
TCXH_GRANT = [
    Do("Task_quyet_dinh", HTB, "leader", {"so_quyet_dinh": "789/QĐ-UBND", "ngay_quyet_dinh": date(2026, 3, 20),
                                          "muc_tro_cap_hang_thang": 540_000, "thoi_diem_huong": date(2026, 4, 1)},
       then_open=opened("Task_tra_ket_qua")),
    Do("Task_tra_ket_qua", HL, "clerk"),
]
TCXH_DISTRICT_REFUSAL = [
    tcxh_appraise("khong_dat", ly_do="Có lương hưu"),
    Do("Task_phong_tu_choi", HTB_P, "leader", {"so_van_ban_tra_loi": "90/LĐTBXH",
                                               "ngay_van_ban_tra_loi": date(2026, 3, 19)},
       then_open=opened("Task_tra_tu_choi")),
    Do("Task_tra_tu_choi", HL, "clerk"),
]
TCXH_SUPPLEMENT = [tcxh_appraise("bo_sung", ly_do="Thiếu giấy xác nhận khuyết tật"),
                   supplement(HL, "da_bo_sung", then_open=opened("Task_phong_tham_dinh"))]
TCXH_REMIND = Fire("Timer_nhac_tham_dinh", Decimal(5), then_open=opened("Task_phong_tham_dinh"))

TCXH_PATHS = [
    Path("tcxh-main", "tro_cap_xa_hoi_hang_thang", TCXH_START, [*TCXH_COMMUNE, TCXH_OK, *TCXH_GRANT], "returned"),
    Path("tcxh-commune-refusal", "tro_cap_xa_hoi_hang_thang", TCXH_START, [
        TCXH_RECEIVE,
        Do("Task_xa_xet_duyet", HL, "officer", {"ket_qua_xet_duyet_xa": "khong_du_dieu_kien",
                                                "bien_ban_xet_duyet": "Chưa đủ 80 tuổi"},
           then_open=opened("Task_tra_tu_choi")),
        Do("Task_tra_tu_choi", HL, "clerk")], "refused"),
    Path("tcxh-district-refusal", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, *TCXH_DISTRICT_REFUSAL], "refused"),
    Path("tcxh-supplement-once", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, *TCXH_SUPPLEMENT, TCXH_OK, *TCXH_GRANT], "returned", supplements=1),
    Path("tcxh-supplement-twice", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, *TCXH_SUPPLEMENT, *TCXH_SUPPLEMENT, TCXH_OK, *TCXH_GRANT], "returned", supplements=2),
    Path("tcxh-withdrawn", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, tcxh_appraise("bo_sung", ly_do="Thiếu giấy tờ"), supplement(HL, "rut_ho_so")],
         "withdrawn"),
    Path("tcxh-reminder-then-returned", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, TCXH_REMIND, TCXH_OK, *TCXH_GRANT], "returned"),
    Path("tcxh-reminder-then-district-refusal", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, TCXH_REMIND, *TCXH_DISTRICT_REFUSAL], "refused"),
    Path("tcxh-reminder-then-withdrawn", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, TCXH_REMIND, tcxh_appraise("bo_sung", ly_do="Thiếu"), supplement(HL, "rut_ho_so")],
         "withdrawn"),
    Path("tcxh-reminder-on-each-appraisal", "tro_cap_xa_hoi_hang_thang", TCXH_START,
         [*TCXH_COMMUNE, TCXH_REMIND, *TCXH_SUPPLEMENT, TCXH_REMIND, TCXH_OK, *TCXH_GRANT], "returned",
         supplements=1),
]

# ---------------------------------------------------------------- 3. Trợ cấp thờ cúng liệt sĩ (BTH.NCC.01)

TCLS_START = {"ho_ten_liet_si": "Nguyễn Văn Hùng", "so_bang_to_quoc_ghi_cong": "BT-123456",
              "quan_he_nguoi_tho_cung": "con"}
TCLS_COMMUNE = [
    Do("Task_tiep_nhan", HL, "clerk", {"co_don_de_nghi": True, "co_ban_sao_bang_to_quoc_ghi_cong": True,
                                       "co_van_ban_uy_quyen": False}),
    Do("Task_xa_xac_nhan", HL, "officer", {"nhan_xet_cua_xa": "Người thờ cúng đang cư trú tại xã"}),
    Do("Task_xa_chuyen", HL, "leader", {"so_van_ban_de_nghi": "33/UBND", "ngay_van_ban_de_nghi": date(2026, 3, 9)},
       then_open=opened("Task_huyen_kiem_tra")),
]


def tcls_district(result: str, **data: object) -> Do:
    then = {"chuyen_so": "Task_huyen_chuyen", "bo_sung": "Task_cho_bo_sung"}[result]
    return Do("Task_huyen_kiem_tra", HTB_P, "officer", {"ket_qua_kiem_tra_huyen": result, **data},
              then_open=opened(then), then_status="waiting_supplement" if result == "bo_sung" else "processing")


TCLS_TO_DEPARTMENT = [
    tcls_district("chuyen_so"),
    Do("Task_huyen_chuyen", HTB_P, "leader", {"so_van_ban_huyen": "71/LĐTBXH", "ngay_van_ban_huyen": date(2026, 3, 20)},
       then_open=opened("Task_so_tham_dinh")),
]


def tcls_appraise(result: str) -> list[Do]:
    """The specialist's appraisal (a proposal) and the head of division, up to the Department leader."""
    appraisal: dict[str, object] = {"ket_qua_tham_dinh": result}
    appraisal |= {"muc_tro_cap_de_xuat": 2_000_000} if result == "dat" else {"ly_do": "Đã có người hưởng"}
    return [Do("Task_so_tham_dinh", S_NCC, "officer", appraisal, then_open=opened("Task_so_truong_phong")),
            Do("Task_so_truong_phong", S_NCC, "leader", {"y_kien_truong_phong": "Trình ký"},
               then_open=opened("Task_so_phe_duyet"))]


def tcls_leader(choice: str) -> list[Do]:
    """The leader's own decision (phe_duyet), then the signed decision or refusal and its return."""
    then = {"dong_y": "Task_so_ky", "khong_dong_y": "Task_so_tu_choi", "tra_lai": "Task_so_tham_dinh"}[choice]
    data: dict[str, object] = {"phe_duyet": choice}
    if choice != "dong_y":
        data["y_kien_lanh_dao"] = "Xác minh lại người thờ cúng"
    acts = [Do("Task_so_phe_duyet", S_LD, "leader", data, then_open=opened(then), then_status="processing")]
    if choice == "dong_y":
        acts += [Do("Task_so_ky", S_LD, "leader", {"so_quyet_dinh": "1200/QĐ-SLĐTBXH",
                                                   "ngay_quyet_dinh": date(2026, 4, 10),
                                                   "muc_tro_cap_tho_cung": 2_000_000},
                    then_open=opened("Task_tra_ket_qua")),
                 Do("Task_tra_ket_qua", HL, "clerk")]
    elif choice == "khong_dong_y":
        acts += [Do("Task_so_tu_choi", S_LD, "leader", {"so_van_ban_tra_loi": "1201/SLĐTBXH-NCC",
                                                        "ngay_van_ban_tra_loi": date(2026, 4, 10),
                                                        "ly_do_tu_choi": "Liệt sĩ đã có người hưởng trợ cấp"},
                    then_open=opened("Task_tra_tu_choi")),
                 Do("Task_tra_tu_choi", HL, "clerk")]
    return acts


def tcls_department(appraisal: str, *decisions: str) -> list[Do]:
    """Up to the Department, then each leader decision in turn (a send-back re-appraises as proposed)."""
    acts = [*TCLS_TO_DEPARTMENT, *tcls_appraise(appraisal)]
    for choice in decisions:
        acts += tcls_leader(choice)
        if choice == "tra_lai":
            acts += tcls_appraise(appraisal)
    return acts


TCLS_SUPPLEMENT = [tcls_district("bo_sung", ly_do_huyen="Thiếu văn bản ủy quyền"),
                   supplement(HL, "da_bo_sung", then_open=opened("Task_huyen_kiem_tra"), then_status="processing")]
TCLS_PATHS = [
    Path("tcls-main", "tho_cung_liet_si", TCLS_START, [*TCLS_COMMUNE, *tcls_department("dat", "dong_y")],
         "returned"),
    Path("tcls-refused", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *tcls_department("khong_dat", "khong_dong_y")], "refused"),
    Path("tcls-leader-grants-against-the-appraisal", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *tcls_department("khong_dat", "dong_y")], "returned"),
    Path("tcls-leader-refuses-against-the-appraisal", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *tcls_department("dat", "khong_dong_y")], "refused"),
    Path("tcls-sent-back-then-granted", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *tcls_department("dat", "tra_lai", "dong_y")], "returned"),
    Path("tcls-sent-back-twice-then-refused", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *tcls_department("khong_dat", "tra_lai", "tra_lai", "khong_dong_y")], "refused"),
    Path("tcls-supplement-once", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *TCLS_SUPPLEMENT, *tcls_department("dat", "dong_y")], "returned", supplements=1),
    Path("tcls-supplement-twice", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, *TCLS_SUPPLEMENT, *TCLS_SUPPLEMENT, *tcls_department("dat", "dong_y")], "returned",
         supplements=2),
    Path("tcls-withdrawn", "tho_cung_liet_si", TCLS_START,
         [*TCLS_COMMUNE, tcls_district("bo_sung", ly_do_huyen="Thiếu"), supplement(HL, "rut_ho_so")], "withdrawn"),
]

# ---------------------------------------------------------------- 4. Liên thông khai sinh (BTH.LT.01)

KS_START = {"ho_ten_tre": "Phạm Minh Khang", "ngay_sinh_tre": date(2026, 2, 20), "gioi_tinh_tre": "nam",
            "noi_dang_ky_thuong_tru": "Thôn 2, xã Phong Nẫm"}
KS_RECEIVE = Do("Task_tiep_nhan", PN, "clerk", {"co_to_khai_lien_thong": True, "co_giay_chung_sinh": True})
KS_REGISTERED = Do("Task_dang_ky_khai_sinh", PN_TP, "officer",
                   {"ket_qua_khai_sinh": "da_dang_ky", "so_dang_ky_khai_sinh": "15/2026"},
                   then_open=opened("Task_thuong_tru", "Task_the_bhyt"))


def ks_police(result: str, then_open: frozenset[str]) -> Do:
    return Do("Task_thuong_tru", CA_PN, "officer", {"ket_qua_thuong_tru": result, "ghi_chu_thuong_tru": "Đã xử lý"},
              then_open=then_open)


def ks_insurance(then_open: frozenset[str]) -> Do:
    return Do("Task_the_bhyt", BHXH_PT, "officer", {"ma_so_bhxh": "6012345678", "ngay_cap_the": date(2026, 3, 3)},
              then_open=then_open)


KS_RETURN = Do("Task_tra_ket_qua", PN, "clerk")
KS_PATHS = [
    Path("ks-police-first", "lien_thong_khai_sinh", KS_START, [
        KS_RECEIVE, KS_REGISTERED, ks_police("da_dang_ky_thuong_tru", then_open=opened("Task_the_bhyt")),
        ks_insurance(then_open=opened("Task_tra_ket_qua")), KS_RETURN], "returned"),
    Path("ks-insurance-first", "lien_thong_khai_sinh", KS_START, [
        KS_RECEIVE, KS_REGISTERED, ks_insurance(then_open=opened("Task_thuong_tru")),
        ks_police("da_dang_ky_thuong_tru", then_open=opened("Task_tra_ket_qua")), KS_RETURN], "returned"),
    Path("ks-residence-not-registered", "lien_thong_khai_sinh", KS_START, [
        KS_RECEIVE, KS_REGISTERED, ks_police("chua_dang_ky_thuong_tru", then_open=opened("Task_the_bhyt")),
        ks_insurance(then_open=opened("Task_tra_ket_qua")), KS_RETURN], "returned"),
    Path("ks-refused", "lien_thong_khai_sinh", KS_START, [
        KS_RECEIVE,
        Do("Task_dang_ky_khai_sinh", PN_TP, "officer", {"ket_qua_khai_sinh": "khong_du_dieu_kien",
                                                        "ly_do": "Giấy chứng sinh không hợp lệ"},
           then_open=opened("Task_tra_tu_choi")),
        Do("Task_tra_tu_choi", PN, "clerk")], "refused"),
]

# ---------------------------------------------------------------- 5. Liên thông khai tử (1.011537)


def kt_chain(tu_tuat: bool, mai_tang: bool, ncc: bool, variant: int, removed: bool = True) -> list[Do | Fire]:
    """The death-registration chain with the applicant's choices; branches completed interleaved.

    An odd ``variant`` refuses the funeral support (a notice with its reason instead of a decision);
    ``removed=False``: the police cannot remove the residence and send a notice alongside the benefits.
    Either way the desk returns everything and the dossier ends "returned".
    """
    branches: list[list[Do]] = []
    if not removed:
        branches.append([Do("Task_thong_bao_cu_tru", CA_PN, "officer", {
            "so_thong_bao_cu_tru": "05/TB-CAX", "ngay_thong_bao_cu_tru": date(2026, 3, 4),
            "ly_do_khong_xoa_thuong_tru": "Người mất đăng ký thường trú tại xã khác",
            "huong_dan_cu_tru": "Liên hệ Công an xã Hàm Liêm"})])
    if tu_tuat:
        branches.append([Do("Task_tu_tuat", BHXH_PT, "officer", {
            "loai_tro_cap_tuat": ("mot_lan", "hang_thang")[variant % 2], "so_tien_tro_cap_tuat": 28_080_000})])
    if mai_tang and variant % 2 == 0:
        branches.append([
            Do("Task_mai_tang_tham_dinh", PT_P, "officer", {"ket_qua_mai_tang": "dat",
                                                            "so_tien_mai_tang_de_xuat": 9_000_000}),
            Do("Task_mai_tang_quyet_dinh", PT, "leader", {"so_quyet_dinh_mai_tang": "501/QĐ-UBND",
                                                          "ngay_quyet_dinh_mai_tang": date(2026, 3, 12),
                                                          "so_tien_ho_tro_mai_tang": 9_000_000})])
    elif mai_tang:
        branches.append([
            Do("Task_mai_tang_tham_dinh", PT_P, "officer", {"ket_qua_mai_tang": "khong_dat"}),
            Do("Task_mai_tang_tu_choi", PT_P, "leader", {
                "so_thong_bao_mai_tang": "12/TB-LĐTBXH", "ngay_thong_bao_mai_tang": date(2026, 3, 11),
                "ly_do_tu_choi_mai_tang": "Người mất không thuộc đối tượng bảo trợ xã hội"})])
    if ncc:
        branches.append([
            Do("Task_ncc_lap_ho_so", PT_P, "officer", {"nhan_xet_ncc": "Thương binh 2/4"}),
            Do("Task_ncc_quyet_dinh", S_NCC, "leader", {"so_quyet_dinh_ncc": "77/QĐ-SLĐTBXH",
                                                        "ngay_quyet_dinh_ncc": date(2026, 3, 16),
                                                        "so_tien_mai_tang_ncc": 18_720_000})])
    if variant >= 2:  # a second completion order: last branch first, each branch to its end
        order = [act for branch in reversed(branches) for act in branch]
    else:  # round robin: one step of each branch in turn
        order = [a for layer in itertools.zip_longest(*branches) for a in layer if a is not None]
    heads = {b[0].element for b in branches}
    acts: list[Do | Fire] = [
        Do("Task_tiep_nhan", PN, "clerk", {"co_to_khai_khai_tu": True, "co_giay_bao_tu": True,
                                           "co_to_khai_huong_che_do": tu_tuat or mai_tang or ncc}),
        Do("Task_khai_tu", PN_TP, "officer", {"so_trich_luc_khai_tu": "08/2026",
                                              "ngay_dang_ky_khai_tu": date(2026, 3, 2)},
           then_open=opened("Task_xoa_thuong_tru")),
        Do("Task_xoa_thuong_tru", CA_PN, "officer",
           {"ket_qua_xoa_thuong_tru": "da_xoa" if removed else "khong_xoa_duoc"},
           then_open=frozenset(heads) if heads else opened("Task_tra_ket_qua")),
    ]
    remaining = [list(b) for b in branches]
    for act in order:
        for b in remaining:
            if b and b[0] is act:
                b.pop(0)
        open_now = {b[0].element for b in remaining if b}
        acts.append(Do(act.element, act.agency, act.role, act.data,
                       then_open=frozenset(open_now) if open_now else opened("Task_tra_ket_qua")))
    acts.append(Do("Task_tra_ket_qua", PN, "clerk"))
    return acts


def kt_path(tu_tuat: bool, mai_tang: bool, ncc: bool, variant: int = 0, removed: bool = True) -> Path:
    name = "+".join(n for n, c in (("tu_tuat", tu_tuat), ("mai_tang", mai_tang), ("ncc", ncc)) if c) or "none"
    start = {"ho_ten_nguoi_mat": "Võ Văn Tám", "ngay_mat": date(2026, 2, 28), "chon_tu_tuat": tu_tuat,
             "chon_mai_tang": mai_tang, "chon_mai_tang_nguoi_co_cong": ncc}
    suffix = "" if removed else "-not-removed"
    return Path(f"kt-{name}-v{variant}{suffix}", "lien_thong_khai_tu", start,
                kt_chain(tu_tuat, mai_tang, ncc, variant, removed), "returned")


KT_PATHS = [kt_path(a, b, c, variant=i % 2) for i, (a, b, c) in enumerate(itertools.product((False, True), repeat=3))]
KT_PATHS += [kt_path(True, True, True, variant=2), kt_path(True, True, True, variant=3),
             kt_path(False, True, True, variant=2), kt_path(False, True, False, variant=1)]
KT_PATHS += [kt_path(False, False, False, removed=False), kt_path(True, False, False, removed=False),
             kt_path(True, True, True, variant=1, removed=False), kt_path(False, True, True, variant=3, removed=False)]

# ---------------------------------------------------------------- 6. Giấy phép lao động (BTH.LDVL.01)

GPLD_START = {"ho_ten_nguoi_lao_dong": "John Smith", "quoc_tich": "Vương quốc Anh", "so_ho_chieu": "123456789",
              "ten_nguoi_su_dung_lao_dong": "Công ty TNHH Điện gió Bình Thuận", "loai_de_nghi": "cap_moi",
              "vi_tri_cong_viec": "chuyen_gia"}
GPLD_RECEIVE = Do("Task_tiep_nhan", TT, "clerk", {
    "co_van_ban_de_nghi": True, "co_giay_kham_suc_khoe": True, "co_ly_lich_tu_phap": True,
    "co_van_ban_chap_thuan_nhu_cau": True, "co_giay_to_chuyen_mon": True, "co_anh_mau": True,
    "co_ban_sao_ho_chieu": True}, then_open=opened("Task_tham_dinh"))


def gpld_appraise(result: str, **data: object) -> Do:
    then = "Task_cho_bo_sung" if result == "bo_sung" else "Task_truong_phong"
    return Do("Task_tham_dinh", S_LDVL, "officer", {"ket_qua_tham_dinh": result, **data}, then_open=opened(then),
              then_status="waiting_supplement" if result == "bo_sung" else "processing")


GPLD_REVIEW = Do("Task_truong_phong", S_LDVL, "leader", {"y_kien_truong_phong": "Trình Lãnh đạo Sở"},
                 then_open=opened("Task_phe_duyet"))


def gpld_leader(choice: str) -> list[Do]:
    """The leader's own decision (phe_duyet), then the signed permit or refusal and its return at the desk."""
    then = {"dong_y": "Task_ky", "khong_dong_y": "Task_ky_tu_choi", "tra_lai": "Task_tham_dinh"}[choice]
    data: dict[str, object] = {"phe_duyet": choice}
    if choice != "dong_y":
        data["y_kien_lanh_dao"] = "Kiểm tra lại văn bản chấp thuận nhu cầu"
    acts = [Do("Task_phe_duyet", S_LD, "leader", data, then_open=opened(then), then_status="processing")]
    if choice == "dong_y":
        acts += [Do("Task_ky", S_LD, "leader", {"so_giay_phep": "BT-2026-0012", "ngay_cap_giay_phep": date(2026, 3, 5),
                                                "thoi_han_den": date(2028, 3, 5)},
                    then_open=opened("Task_tra_ket_qua")),
                 Do("Task_tra_ket_qua", TT, "clerk")]
    elif choice == "khong_dong_y":
        acts += [Do("Task_ky_tu_choi", S_LD, "leader", {"so_van_ban_tu_choi": "450/SLĐTBXH-LĐVL",
                                                        "ngay_van_ban_tu_choi": date(2026, 3, 5),
                                                        "ly_do_tu_choi": "Không đáp ứng điều kiện chuyên gia"},
                    then_open=opened("Task_tra_tu_choi")),
                 Do("Task_tra_tu_choi", TT, "clerk")]
    return acts


def gpld_sign(granted: bool) -> list[Do]:
    """Head of division, then the leader agrees with the proposal: grant or refuse."""
    return [GPLD_REVIEW, *gpld_leader("dong_y" if granted else "khong_dong_y")]


GPLD_SUPPLEMENT = [gpld_appraise("bo_sung", ly_do="Lý lịch tư pháp quá 6 tháng"),
                   supplement(TT, "da_bo_sung", then_open=opened("Task_tham_dinh"), then_status="processing")]
GPLD_SENT_BACK = [GPLD_REVIEW, *gpld_leader("tra_lai")]
GPLD_PATHS = [
    Path("gpld-main", "giay_phep_lao_dong", GPLD_START, [GPLD_RECEIVE, gpld_appraise("dat"), *gpld_sign(True)],
         "returned"),
    Path("gpld-extension", "giay_phep_lao_dong", GPLD_START | {"loai_de_nghi": "gia_han",
                                                               "vi_tri_cong_viec": "nha_quan_ly"},
         [GPLD_RECEIVE, gpld_appraise("dat"), *gpld_sign(True)], "returned"),
    Path("gpld-refused", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("khong_dat", ly_do="Không đáp ứng vị trí chuyên gia"), *gpld_sign(False)],
         "refused"),
    Path("gpld-leader-grants-against-the-appraisal", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("khong_dat", ly_do="Thiếu kinh nghiệm"), *gpld_sign(True)], "returned"),
    Path("gpld-leader-refuses-against-the-appraisal", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("dat"), *gpld_sign(False)], "refused"),
    Path("gpld-sent-back-then-granted", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("dat"), *GPLD_SENT_BACK, gpld_appraise("dat"), *gpld_sign(True)], "returned"),
    Path("gpld-sent-back-twice-then-refused", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("dat"), *GPLD_SENT_BACK, gpld_appraise("dat"), *GPLD_SENT_BACK,
          gpld_appraise("khong_dat", ly_do="Văn bản chấp thuận hết hiệu lực"), *gpld_sign(False)], "refused"),
    Path("gpld-sent-back-then-supplement", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("dat"), *GPLD_SENT_BACK, *GPLD_SUPPLEMENT, gpld_appraise("dat"),
          *gpld_sign(True)], "returned", supplements=1),
    Path("gpld-supplement-once", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, *GPLD_SUPPLEMENT, gpld_appraise("dat"), *gpld_sign(True)], "returned", supplements=1),
    Path("gpld-supplement-twice", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, *GPLD_SUPPLEMENT, *GPLD_SUPPLEMENT, gpld_appraise("dat"), *gpld_sign(True)], "returned",
         supplements=2),
    Path("gpld-supplement-then-refused", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, *GPLD_SUPPLEMENT, gpld_appraise("khong_dat", ly_do="Giấy tờ giả"), *gpld_sign(False)],
         "refused", supplements=1),
    Path("gpld-withdrawn", "giay_phep_lao_dong", GPLD_START,
         [GPLD_RECEIVE, gpld_appraise("bo_sung", ly_do="Thiếu ảnh"), supplement(TT, "rut_ho_so")], "withdrawn"),
]

# ---------------------------------------------------------------- 7. Công nhận hộ nghèo (BTH.GN.01)

HN_START = {"ho_ten_chu_ho": "Đặng Văn Nam", "thon_khu_pho": "Thôn 3", "so_nhan_khau": 5, "loai_de_nghi": "ho_ngheo"}
HN_RECEIVE = Do("Task_tiep_nhan", PN, "clerk", {"co_giay_de_nghi": True}, then_open=opened("Task_bcd_xem_xet"))
HN_SURVEY = [
    Do("Task_bcd_xem_xet", PN_BCD, "officer", {"ket_qua_xem_xet": "to_chuc_ra_soat"},
       then_open=opened("Task_khao_sat")),
    Do("Task_khao_sat", PN_BCD, "officer", {"diem_thu_nhap": 120, "so_chi_so_thieu_hut": 4}),
]
HN_MEETING_OK = Do("Task_hop_dan", PN_BCD, "leader", {"ket_qua_binh_xet": "dat",
                                                      "bien_ban_hop_dan": "35/40 hộ đồng ý"},
                   then_open=frozenset(), then_status="processing")  # the posting runs: nobody has a step
HN_POSTING = Fire("Timer_niem_yet", Decimal(3), then_open=opened("Task_tong_hop_niem_yet"))
HN_COMPLAINT = [
    Do("Task_tong_hop_niem_yet", PN_BCD, "leader", {"co_khieu_nai": True, "noi_dung_khieu_nai": "Hộ có xe ô tô"},
       then_open=opened("Task_phuc_tra")),
    Do("Task_phuc_tra", PN_BCD, "officer", {"ket_luan_phuc_tra": "Xe của người thân, không ảnh hưởng"},
       then_open=opened("Task_tong_hop_niem_yet")),
]
HN_RECOGNISE = [
    Do("Task_tong_hop_niem_yet", PN_BCD, "leader", {"co_khieu_nai": False}, then_open=opened("Task_bao_cao")),
    Do("Task_bao_cao", PN_BCD, "leader", {"so_bao_cao": "05/BC-BCĐ", "ngay_bao_cao": date(2026, 3, 16)}),
    Do("Task_cong_nhan", PN, "leader", {"so_quyet_dinh": "60/QĐ-UBND", "ngay_quyet_dinh": date(2026, 3, 19)},
       then_open=opened("Task_tra_ket_qua")),
    Do("Task_tra_ket_qua", PN, "clerk"),
]
HN_PATHS = [
    Path("hn-main", "cong_nhan_ho_ngheo", HN_START,
         [HN_RECEIVE, *HN_SURVEY, HN_MEETING_OK, HN_POSTING, *HN_RECOGNISE], "returned"),
    Path("hn-near-poor", "cong_nhan_ho_ngheo", HN_START | {"loai_de_nghi": "ho_can_ngheo", "so_nhan_khau": 1},
         [HN_RECEIVE, *HN_SURVEY, HN_MEETING_OK, HN_POSTING, *HN_RECOGNISE], "returned"),
    Path("hn-complaint-once", "cong_nhan_ho_ngheo", HN_START,
         [HN_RECEIVE, *HN_SURVEY, HN_MEETING_OK, HN_POSTING, *HN_COMPLAINT, *HN_RECOGNISE], "returned"),
    Path("hn-complaint-twice", "cong_nhan_ho_ngheo", HN_START,
         [HN_RECEIVE, *HN_SURVEY, HN_MEETING_OK, HN_POSTING, *HN_COMPLAINT, *HN_COMPLAINT, *HN_RECOGNISE],
         "returned"),
    Path("hn-not-eligible", "cong_nhan_ho_ngheo", HN_START, [
        HN_RECEIVE,
        Do("Task_bcd_xem_xet", PN_BCD, "officer", {"ket_qua_xem_xet": "khong_thuoc_dien",
                                                   "ly_do_khong_ra_soat": "Đã là hộ nghèo"},
           then_open=opened("Task_tra_tu_choi")),
        Do("Task_tra_tu_choi", PN, "clerk")], "refused"),
    Path("hn-meeting-refused", "cong_nhan_ho_ngheo", HN_START, [
        HN_RECEIVE, *HN_SURVEY,
        Do("Task_hop_dan", PN_BCD, "leader", {"ket_qua_binh_xet": "khong_dat", "bien_ban_hop_dan": "12/40 đồng ý"},
           then_open=opened("Task_tra_tu_choi")),
        Do("Task_tra_tu_choi", PN, "clerk")], "refused"),
]

# ---------------------------------------------------------------- 8. Sáng kiến cải cách hành chính (BTH.NB.01)

SK_START = {"nam_phat_dong": 2026, "chu_de": "Số hóa hồ sơ người có công", "han_dang_ky": date(2026, 4, 15)}
SK_REGISTER = {
    "btxh": Do("Task_dang_ky_btxh", S_BTXH, "officer", {"so_sang_kien_btxh": 2, "ten_sang_kien_btxh": "Chi trả qua"
                                                        " tài khoản", "mo_ta_btxh": "Giảm thời gian chi trả"}),
    "ncc": Do("Task_dang_ky_ncc", S_NCC, "officer", {"so_sang_kien_ncc": 0}),
    "ldvl": Do("Task_dang_ky_ldvl", S_LDVL, "officer", {"so_sang_kien_ldvl": 1, "ten_sang_kien_ldvl": "Cấp phép"
                                                        " lao động trực tuyến"}),
}
SK_UNITS = frozenset({"Task_dang_ky_btxh", "Task_dang_ky_ncc", "Task_dang_ky_ldvl"})


def sk_path(order: tuple[str, ...], selected: int) -> Path:
    acts: list[Do | Fire] = [
        Do("Task_ke_hoach", S_VP, "officer", {"noi_dung_ke_hoach": "Phát động từ 01/4 đến 15/4"},
           then_open=opened("Task_duyet_ke_hoach")),
        Do("Task_duyet_ke_hoach", S_LD, "leader", {"so_ke_hoach": "15/KH-SLĐTBXH", "ngay_ke_hoach": date(2026, 3, 6)},
           then_open=SK_UNITS),
    ]
    left = set(SK_UNITS)
    for unit in order:
        act = SK_REGISTER[unit]
        left.discard(act.element)
        acts.append(Do(act.element, act.agency, act.role, act.data,
                       then_open=frozenset(left) if left else opened("Task_tong_hop")))
    acts += [Do("Task_tong_hop", S_VP, "officer", {"tong_so_sang_kien": 3}),
             Do("Task_danh_gia", S_HD, "leader", {"so_sang_kien_duoc_chon": selected,
                                                  "bien_ban_danh_gia": "Hội đồng chấm điểm 3 sáng kiến"},
                then_open=opened("Task_cong_nhan" if selected else "Task_thong_bao"))]
    if selected:
        acts += [Do("Task_cong_nhan", S_LD, "leader", {"so_quyet_dinh": "300/QĐ-SLĐTBXH",
                                                       "ngay_quyet_dinh": date(2026, 5, 20)}),
                 Do("Task_cong_bo", S_VP, "clerk")]
    else:
        acts.append(Do("Task_thong_bao", S_VP, "clerk"))
    return Path(f"sk-{'-'.join(order)}-{selected}", "sang_kien_cai_cach", SK_START, acts,
                "returned" if selected else "refused")


SK_PATHS = [sk_path(("btxh", "ncc", "ldvl"), 2), sk_path(("ldvl", "ncc", "btxh"), 1),
            sk_path(("ncc", "btxh", "ldvl"), 0)]

ALL_PATHS = [*MTP_PATHS, *TCXH_PATHS, *TCLS_PATHS, *KS_PATHS, *KT_PATHS, *GPLD_PATHS, *HN_PATHS, *SK_PATHS]

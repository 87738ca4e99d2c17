"""Generate workflows/*.bpmn from the plain-Python procedure descriptions below.

The lane names, field helpers and supplement loop they share are in tools/procedure_parts.py.

Run: ``.venv/bin/python tools/gen_procedures.py`` (writes into workflows/). The .bpmn files are
the source the product reads; this script only saves hand-placing shapes in a modeller.
Lane names must equal agency or agency kind names (or codes) in workflows/agencies.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bpmn_writer import Field, Procedure, to_xml
from procedure_parts import (
    APPRAISAL,
    BCD_PN,
    BHXH_PT,
    CA_PN,
    HD_SK,
    LD_SO,
    P_BTXH,
    P_LDVL,
    P_NCC,
    PLD_HTB,
    PLD_PT,
    RECEIPT,
    TP_PN,
    TTPVHCC,
    UBND_HTB,
    UBND_PT,
    VP_SO,
    XA_HL,
    XA_PN,
    approval,
    choice,
    day,
    decision,
    flag,
    money,
    supplement_loop,
    text,
)


# --------------------------------------------------------------------------- 1. mai táng phí
def mai_tang_phi() -> Procedure:
    """Hỗ trợ chi phí mai táng (1.001731, 5 working days)."""
    p = Procedure("mai_tang_phi", "Hỗ trợ chi phí mai táng", "1.001731", "5")
    p.start("StartEvent_1", XA_PN, "Nhận hồ sơ đề nghị hỗ trợ chi phí mai táng", [
        text("ho_ten_nguoi_mat", "Họ và tên người đã mất", maxlength=100),
        Field("ngay_mat", "Ngày mất", "date", constraints={"max": "today"}),
        choice("doi_tuong_nguoi_mat", "Người đã mất thuộc diện", [
            ("dang_huong_tro_cap_hang_thang", "Đang hưởng trợ cấp xã hội hằng tháng"),
            ("con_nguoi_don_than_ngheo", "Con của người đơn thân nghèo đang hưởng trợ cấp"),
            ("tu_80_tuoi_huong_tro_cap_bhxh", "Từ đủ 80 tuổi, đang hưởng lương hưu / trợ cấp BHXH hằng tháng"),
            ("ho_ngheo_can_ngheo", "Thành viên hộ nghèo, hộ cận nghèo"),
        ]),
        text("quan_he_voi_nguoi_mat", "Quan hệ của người đề nghị với người đã mất", maxlength=100),
    ])
    p.user("Task_tiep_nhan", XA_PN, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_to_khai_mau_04", "Tờ khai đề nghị hỗ trợ chi phí mai táng (Mẫu số 04)"),
        flag("co_ban_sao_giay_chung_tu", "Bản sao giấy chứng tử"),
        flag("co_quyet_dinh_thoi_huong", "Quyết định thôi hưởng lương hưu / trợ cấp BHXH (người từ đủ 80 tuổi)",
             required=False),
        text("ghi_chu_tiep_nhan", "Ghi chú khi tiếp nhận", required=False, maxlength=500),
    ])
    p.user("Task_xa_xac_minh", XA_PN, "Công chức tiếp nhận kiểm tra, xác minh hồ sơ", "1", "examine",
           "Phiếu kiểm soát (Mẫu 05)", [text("nhan_xet_cua_xa", "Nhận xét, xác minh của xã")])
    p.user("Task_xa_chuyen", XA_PN, "Chuyển hồ sơ đã xác minh sang Phòng Văn hóa – Xã hội", "0.5",
           "sign", "Phiếu chuyển hồ sơ kèm kết quả xác minh", decision("van_ban_de_nghi", "văn bản đề nghị"))
    p.user("Task_phong_tham_dinh", PLD_PT, "Chuyên viên thẩm định hồ sơ, dự thảo quyết định", "1.5",
           "examine", "Tờ trình, dự thảo quyết định", [
               choice("ket_qua_tham_dinh", "Kết quả thẩm định", APPRAISAL),
               money("so_tien_de_xuat", "Số tiền đề xuất hỗ trợ (đồng)", required=False),
               text("ly_do", "Lý do không đạt / nội dung cần bổ sung", required=False),
           ])
    p.gateway("Gateway_tham_dinh", PLD_PT, "Kết quả thẩm định?")
    p.user("Task_phong_trinh", PLD_PT, "Trưởng phòng xem xét, trình Chủ tịch UBND xã", "0.5",
           "review", "Tờ trình", [text("y_kien_truong_phong", "Ý kiến của Trưởng phòng", required=False)])
    p.user("Task_quyet_dinh", UBND_PT, "Chủ tịch UBND xã ký quyết định hỗ trợ chi phí mai táng", "1",
           "sign", "Quyết định hỗ trợ chi phí mai táng",
           [*decision(), Field("so_tien_ho_tro", "Số tiền hỗ trợ (đồng)", "long", constraints={"min": "0"},
                                default="${so_tien_de_xuat}"),
            Field("quyet_dinh_da_ky", "Quyết định đã ký (bản điện tử)", "file")])
    p.user("Task_tra_ket_qua", XA_PN, "Trả quyết định và kinh phí hỗ trợ cho người nộp", "0", "return",
           "Quyết định hỗ trợ chi phí mai táng")
    p.end("End_tra_ket_qua", XA_PN, "Đã trả kết quả", "returned")
    p.user("Task_tra_tu_choi", XA_PN, "Trả văn bản trả lời, nêu rõ lý do không hỗ trợ", "0", "return",
           "Văn bản trả lời nêu rõ lý do")
    p.end("End_tu_choi", XA_PN, "Không được hỗ trợ", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_xa_xac_minh", "Task_xa_chuyen", "Task_phong_tham_dinh",
            "Gateway_tham_dinh")
    p.flow("Gateway_tham_dinh", "Task_phong_trinh", "Đạt", 'ket_qua_tham_dinh == "dat"')
    p.flow("Gateway_tham_dinh", "Task_tra_tu_choi", "Không đạt", 'ket_qua_tham_dinh == "khong_dat"')
    supplement_loop(p, "Gateway_tham_dinh", XA_PN, "Task_phong_tham_dinh", 'ket_qua_tham_dinh == "bo_sung"')
    p.chain("Task_phong_trinh", "Task_quyet_dinh", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 2. trợ cấp xã hội hằng tháng
def tro_cap_xa_hoi_hang_thang() -> Procedure:
    """Trợ cấp xã hội hằng tháng (code and 20-day limit unconfirmed)."""
    p = Procedure("tro_cap_xa_hoi_hang_thang", "Thực hiện trợ cấp xã hội hằng tháng", "1.001776", "20")
    p.start("StartEvent_1", XA_HL, "Nhận hồ sơ đề nghị trợ cấp xã hội hằng tháng", [
        text("ho_ten_doi_tuong", "Họ và tên đối tượng", maxlength=100),
        day("ngay_sinh_doi_tuong", "Ngày sinh của đối tượng"),
        choice("nhom_doi_tuong", "Nhóm đối tượng", [
            ("tre_em_khong_nguon_nuoi_duong", "Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng"),
            ("nguoi_cao_tuoi", "Người cao tuổi"),
            ("nguoi_khuyet_tat", "Người khuyết tật nặng, đặc biệt nặng"),
            ("nguoi_don_than_ngheo", "Người đơn thân nghèo đang nuôi con"),
            ("nguoi_nhiem_hiv", "Người nhiễm HIV/AIDS thuộc hộ nghèo"),
        ]),
    ])
    p.user("Task_tiep_nhan", XA_HL, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_to_khai_mau_1", "Tờ khai đề nghị trợ giúp xã hội (Mẫu số 1a–1đ)"),
        flag("co_giay_to_chung_minh", "Bản sao giấy tờ chứng minh thuộc diện đối tượng", required=False),
        text("ghi_chu_tiep_nhan", "Ghi chú khi tiếp nhận", required=False, maxlength=500),
    ])
    p.user("Task_xa_xet_duyet", XA_HL, "Kiểm tra, xác minh; Hội đồng xét duyệt xã họp xét", "5.5", "examine",
           "Biên bản họp Hội đồng xét duyệt", [
               choice("ket_qua_xet_duyet_xa", "Kết quả xét duyệt của xã",
                      [("du_dieu_kien", "Đủ điều kiện"), ("khong_du_dieu_kien", "Không đủ điều kiện")]),
               text("bien_ban_xet_duyet", "Tóm tắt biên bản xét duyệt"),
           ])
    p.gateway("Gateway_xet_duyet_xa", XA_HL, "Đủ điều kiện?")
    p.user("Task_xa_niem_yet", XA_HL, "Niêm yết công khai kết quả xét duyệt, tiếp nhận ý kiến", "2", "examine",
           "Thông báo niêm yết công khai", [
               flag("co_y_kien_phan_anh", "Có ý kiến phản ánh trong thời gian niêm yết", required=False),
               text("noi_dung_y_kien", "Nội dung ý kiến và cách giải quyết", required=False),
           ])
    p.user("Task_xa_trinh", XA_HL, "Hội đồng xét duyệt chuyển biên bản và hồ sơ sang Phòng Văn hóa – Xã hội",
           "2", "sign",
           "Phiếu chuyển hồ sơ kèm kết quả xác minh", decision("van_ban_de_nghi", "văn bản đề nghị"))
    p.user("Task_phong_tham_dinh", PLD_HTB, "Phòng Văn hóa – Xã hội thẩm định hồ sơ, trình Chủ tịch UBND xã", "7",
           "examine", "Tờ trình, dự thảo quyết định", [
               choice("ket_qua_tham_dinh", "Kết quả thẩm định", APPRAISAL),
               money("muc_tro_cap_de_xuat", "Mức trợ cấp đề xuất (đồng/tháng)", required=False),
               text("ly_do", "Lý do không đạt / nội dung cần bổ sung", required=False),
           ])
    p.boundary_timer("Timer_nhac_tham_dinh", "Task_phong_tham_dinh", "Sau 5 ngày: nhắc Trưởng phòng", "P5D")
    p.end("End_da_nhac", PLD_HTB, "Đã nhắc việc", None)
    p.gateway("Gateway_tham_dinh", PLD_HTB, "Kết quả thẩm định?")
    p.user("Task_phong_tu_choi", PLD_HTB, "Ban hành văn bản trả lời, nêu rõ lý do không đủ điều kiện", "1",
           "sign", "Văn bản trả lời nêu rõ lý do", decision("van_ban_tra_loi", "văn bản trả lời"))
    p.user("Task_quyet_dinh", UBND_HTB, "Chủ tịch UBND xã ký quyết định trợ cấp xã hội hằng tháng", "3",
           "sign", "Quyết định trợ cấp xã hội hằng tháng", [
               *decision(),
               money("muc_tro_cap_hang_thang", "Mức trợ cấp hằng tháng (đồng)"),
               day("thoi_diem_huong", "Thời điểm được hưởng"),
           ])
    p.user("Task_tra_ket_qua", XA_HL, "Trả quyết định trợ cấp cho người nộp", "0", "return",
           "Quyết định trợ cấp xã hội hằng tháng")
    p.end("End_tra_ket_qua", XA_HL, "Đã trả kết quả", "returned")
    p.user("Task_tra_tu_choi", XA_HL, "Trả văn bản trả lời, nêu rõ lý do", "0", "return",
           "Văn bản trả lời nêu rõ lý do")
    p.end("End_tu_choi", XA_HL, "Không đủ điều kiện", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_xa_xet_duyet", "Gateway_xet_duyet_xa")
    p.flow("Gateway_xet_duyet_xa", "Task_xa_niem_yet", "Đủ điều kiện", 'ket_qua_xet_duyet_xa == "du_dieu_kien"')
    p.flow("Gateway_xet_duyet_xa", "Task_tra_tu_choi", "Không đủ điều kiện",
           'ket_qua_xet_duyet_xa == "khong_du_dieu_kien"')
    p.chain("Task_xa_niem_yet", "Task_xa_trinh", "Task_phong_tham_dinh", "Gateway_tham_dinh")
    p.flow("Timer_nhac_tham_dinh", "End_da_nhac")
    p.flow("Gateway_tham_dinh", "Task_quyet_dinh", "Đạt", 'ket_qua_tham_dinh == "dat"')
    p.flow("Gateway_tham_dinh", "Task_phong_tu_choi", "Không đạt", 'ket_qua_tham_dinh == "khong_dat"')
    supplement_loop(p, "Gateway_tham_dinh", XA_HL, "Task_phong_tham_dinh", 'ket_qua_tham_dinh == "bo_sung"')
    p.chain("Task_quyet_dinh", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_phong_tu_choi", "Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 3. thờ cúng liệt sĩ
def tho_cung_liet_si() -> Procedure:
    """Trợ cấp thờ cúng liệt sĩ (30 working days: commune 5, district 10, Department 15)."""
    p = Procedure("tho_cung_liet_si", "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "BTH.NCC.01", "18")
    p.start("StartEvent_1", XA_HL, "Nhận hồ sơ đề nghị trợ cấp thờ cúng liệt sĩ", [
        text("ho_ten_liet_si", "Họ và tên liệt sĩ", maxlength=100),
        text("so_bang_to_quoc_ghi_cong", "Số Bằng Tổ quốc ghi công", maxlength=50),
        choice("quan_he_nguoi_tho_cung", "Quan hệ của người thờ cúng với liệt sĩ", [
            ("vo_chong", "Vợ hoặc chồng"), ("con", "Con"), ("cha_me", "Cha, mẹ"),
            ("anh_chi_em", "Anh, chị, em ruột"), ("nguoi_duoc_uy_quyen", "Người được gia đình ủy quyền"),
        ]),
    ])
    p.user("Task_tiep_nhan", XA_HL, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_don_de_nghi", "Đơn đề nghị trợ cấp thờ cúng liệt sĩ"),
        flag("co_ban_sao_bang_to_quoc_ghi_cong", "Bản sao Bằng Tổ quốc ghi công"),
        flag("co_van_ban_uy_quyen", "Văn bản ủy quyền thờ cúng liệt sĩ", required=False),
    ])
    p.user("Task_xa_xac_nhan", XA_HL, "Kiểm tra, xác nhận đơn đề nghị", "1.5", "examine",
           "Đơn đề nghị có xác nhận của UBND xã", [text("nhan_xet_cua_xa", "Nhận xét, xác nhận của xã")])
    p.user("Task_xa_chuyen", XA_HL, "Chuyển hồ sơ đã xác nhận sang Phòng Văn hóa – Xã hội", "1", "sign",
           "Phiếu chuyển hồ sơ kèm kết quả xác minh", decision("van_ban_de_nghi", "văn bản đề nghị"))
    p.user("Task_huyen_kiem_tra", PLD_HTB, "Phòng Văn hóa – Xã hội kiểm tra hồ sơ, lập danh sách", "4", "examine",
           "Phiếu kiểm soát (Mẫu 05)", [
               choice("ket_qua_kiem_tra_huyen", "Kết quả kiểm tra",
                      [("chuyen_so", "Đạt, chuyển Sở"), ("bo_sung", "Cần bổ sung hồ sơ")]),
               text("ly_do_huyen", "Nội dung cần bổ sung", required=False),
           ])
    p.gateway("Gateway_kiem_tra_huyen", PLD_HTB, "Kết quả kiểm tra?")
    p.user("Task_huyen_chuyen", PLD_HTB, "Trình Chủ tịch UBND xã ký văn bản đề nghị gửi Sở Nội vụ", "1", "review",
           "Văn bản đề nghị của UBND xã", decision("van_ban_huyen", "văn bản của Phòng"))
    p.user("Task_so_tham_dinh", P_NCC, "Chuyên viên Phòng Người có công thẩm định hồ sơ", "6", "examine",
           "Tờ trình, dự thảo quyết định", [
               choice("ket_qua_tham_dinh", "Kết quả thẩm định", APPRAISAL[:2]),
               money("muc_tro_cap_de_xuat", "Mức trợ cấp thờ cúng đề xuất (đồng/năm)", required=False),
               text("ly_do", "Lý do không đạt", required=False),
           ])
    p.user("Task_so_truong_phong", P_NCC, "Trưởng phòng Người có công xem xét, trình Lãnh đạo Sở", "1.5",
           "review", "Tờ trình", [text("y_kien_truong_phong", "Ý kiến của Trưởng phòng", required=False)])
    p.user("Task_so_phe_duyet", LD_SO, "Lãnh đạo Sở xem xét, phê duyệt", "1", "review",
           "Ý kiến phê duyệt", approval("giải quyết trợ cấp"))
    p.gateway("Gateway_phe_duyet", LD_SO, "Phê duyệt?")
    p.user("Task_so_ky", LD_SO, "Lãnh đạo Sở ký quyết định trợ cấp thờ cúng liệt sĩ", "1.5", "sign",
           "Quyết định trợ cấp thờ cúng liệt sĩ",
           [*decision(), money("muc_tro_cap_tho_cung", "Mức trợ cấp thờ cúng (đồng/năm)")])
    p.user("Task_so_tu_choi", LD_SO, "Lãnh đạo Sở ký văn bản trả lời, nêu rõ lý do không giải quyết", "1.5",
           "sign", "Văn bản trả lời nêu rõ lý do",
           [*decision("van_ban_tra_loi", "văn bản trả lời"), text("ly_do_tu_choi", "Lý do không giải quyết")])
    p.user("Task_tra_ket_qua", XA_HL, "Trả quyết định trợ cấp thờ cúng liệt sĩ", "0", "return",
           "Quyết định trợ cấp thờ cúng liệt sĩ")
    p.end("End_tra_ket_qua", XA_HL, "Đã trả kết quả", "returned")
    p.user("Task_tra_tu_choi", XA_HL, "Trả văn bản trả lời, nêu rõ lý do", "0", "return",
           "Văn bản trả lời nêu rõ lý do")
    p.end("End_tu_choi", XA_HL, "Không được trợ cấp", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_xa_xac_nhan", "Task_xa_chuyen", "Task_huyen_kiem_tra",
            "Gateway_kiem_tra_huyen")
    p.flow("Gateway_kiem_tra_huyen", "Task_huyen_chuyen", "Đạt", 'ket_qua_kiem_tra_huyen == "chuyen_so"')
    supplement_loop(p, "Gateway_kiem_tra_huyen", XA_HL, "Task_huyen_kiem_tra",
                    'ket_qua_kiem_tra_huyen == "bo_sung"')
    p.chain("Task_huyen_chuyen", "Task_so_tham_dinh", "Task_so_truong_phong", "Task_so_phe_duyet",
            "Gateway_phe_duyet")
    p.flow("Gateway_phe_duyet", "Task_so_ky", "Đồng ý", 'phe_duyet == "dong_y"')
    p.flow("Gateway_phe_duyet", "Task_so_tu_choi", "Không đồng ý", 'phe_duyet == "khong_dong_y"')
    p.flow("Gateway_phe_duyet", "Task_so_tham_dinh", "Trả lại, thẩm định lại", 'phe_duyet == "tra_lai"')
    p.chain("Task_so_ky", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_so_tu_choi", "Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 4. khai sinh liên thông
def lien_thong_khai_sinh() -> Procedure:
    """Birth registration + permanent residence + health-insurance card for a child under 6."""
    p = Procedure("lien_thong_khai_sinh",
                  "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
                  "BTH.LT.01", "3")
    p.start("StartEvent_1", XA_PN, "Nhận hồ sơ liên thông khai sinh", [
        text("ho_ten_tre", "Họ và tên trẻ", maxlength=100),
        day("ngay_sinh_tre", "Ngày sinh của trẻ"),
        choice("gioi_tinh_tre", "Giới tính", [("nam", "Nam"), ("nu", "Nữ")]),
        text("noi_dang_ky_thuong_tru", "Nơi đề nghị đăng ký thường trú", maxlength=300),
    ])
    p.user("Task_tiep_nhan", XA_PN, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_to_khai_lien_thong", "Tờ khai liên thông (khai sinh, thay đổi thông tin cư trú, BHYT)"),
        flag("co_giay_chung_sinh", "Giấy chứng sinh (bản chính)"),
        flag("co_van_ban_dong_y_cho_o", "Văn bản đồng ý cho đăng ký thường trú của chủ hộ", required=False),
    ])
    p.user("Task_dang_ky_khai_sinh", TP_PN, "Đăng ký khai sinh, cấp Giấy khai sinh và số định danh", "1",
           "examine", "Giấy khai sinh (bản chính)", [
               choice("ket_qua_khai_sinh", "Kết quả đăng ký khai sinh",
                      [("da_dang_ky", "Đã đăng ký"), ("khong_du_dieu_kien", "Không đủ điều kiện")]),
               text("so_dang_ky_khai_sinh", "Số đăng ký khai sinh", required=False, maxlength=50),
               text("ly_do", "Lý do không đăng ký", required=False),
           ])
    p.gateway("Gateway_khai_sinh", TP_PN, "Đã đăng ký khai sinh?")
    p.gateway("Gateway_song_song", TP_PN, "Chuyển đồng thời", "parallelGateway")
    p.user("Task_thuong_tru", CA_PN, "Đăng ký thường trú cho trẻ", "1.5", "consult",
           "Thông báo kết quả đăng ký thường trú", [
               choice("ket_qua_thuong_tru", "Kết quả đăng ký thường trú",
                      [("da_dang_ky_thuong_tru", "Đã đăng ký thường trú"),
                       ("chua_dang_ky_thuong_tru", "Chưa đăng ký được")]),
               text("ghi_chu_thuong_tru", "Ghi chú", required=False, maxlength=500),
           ])
    p.user("Task_the_bhyt", BHXH_PT, "Cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi", "1", "consult",
           "Thẻ bảo hiểm y tế", [
               text("ma_so_bhxh", "Mã số BHXH của trẻ", maxlength=20),
               day("ngay_cap_the", "Ngày cấp thẻ"),
           ])
    p.gateway("Gateway_hop_nhat", XA_PN, "Đủ kết quả", "parallelGateway")
    p.user("Task_tra_ket_qua", XA_PN, "Trả Giấy khai sinh, kết quả thường trú và thẻ BHYT", "0", "return",
           "Giấy khai sinh; thông báo thường trú; thẻ BHYT")
    p.end("End_tra_ket_qua", XA_PN, "Đã trả kết quả", "returned")
    p.user("Task_tra_tu_choi", XA_PN, "Trả văn bản từ chối, nêu rõ lý do", "0", "return",
           "Văn bản từ chối nêu rõ lý do")
    p.end("End_tu_choi", XA_PN, "Không đăng ký khai sinh", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_dang_ky_khai_sinh", "Gateway_khai_sinh")
    p.flow("Gateway_khai_sinh", "Gateway_song_song", "Đã đăng ký", 'ket_qua_khai_sinh == "da_dang_ky"')
    p.flow("Gateway_khai_sinh", "Task_tra_tu_choi", "Không đủ điều kiện",
           'ket_qua_khai_sinh == "khong_du_dieu_kien"')
    p.chain("Gateway_song_song", "Task_thuong_tru", "Gateway_hop_nhat")
    p.chain("Gateway_song_song", "Task_the_bhyt", "Gateway_hop_nhat")
    p.chain("Gateway_hop_nhat", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 5. khai tử liên thông
def lien_thong_khai_tu() -> Procedure:
    """Death registration + residence removal + benefits chosen by the applicant (1.011537)."""
    p = Procedure("lien_thong_khai_tu",
                  "Liên thông đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất, "
                  "hỗ trợ chi phí mai táng, hưởng mai táng phí", "1.011537", "10")
    p.start("StartEvent_1", XA_PN, "Nhận hồ sơ liên thông khai tử", [
        text("ho_ten_nguoi_mat", "Họ và tên người đã mất", maxlength=100),
        day("ngay_mat", "Ngày mất"),
        flag("chon_tu_tuat", "Đề nghị giải quyết chế độ tử tuất (BHXH)", required=False),
        flag("chon_mai_tang", "Đề nghị hỗ trợ chi phí mai táng (đối tượng bảo trợ xã hội)", required=False),
        flag("chon_mai_tang_nguoi_co_cong", "Đề nghị trợ cấp mai táng người có công", required=False),
    ])
    p.user("Task_tiep_nhan", XA_PN, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_to_khai_khai_tu", "Tờ khai đăng ký khai tử"),
        flag("co_giay_bao_tu", "Giấy báo tử hoặc giấy tờ thay giấy báo tử"),
        flag("co_to_khai_huong_che_do", "Tờ khai / hồ sơ đề nghị hưởng chế độ đã chọn", required=False),
    ])
    p.user("Task_khai_tu", TP_PN, "Đăng ký khai tử (trong ngày; nhận sau 15 giờ thì ngày làm việc tiếp theo)",
           "0.5", "examine", "Trích lục khai tử", [
               text("so_trich_luc_khai_tu", "Số trích lục khai tử", maxlength=50),
               day("ngay_dang_ky_khai_tu", "Ngày đăng ký khai tử"),
           ])
    p.user("Task_xoa_thuong_tru", CA_PN, "Xóa đăng ký thường trú", "2", "consult",
           "Thông báo xóa đăng ký thường trú", [
               choice("ket_qua_xoa_thuong_tru", "Kết quả xóa đăng ký thường trú", [
                   ("da_xoa", "Đã xóa đăng ký thường trú"),
                   ("khong_xoa_duoc", "Không xóa được (thông báo bằng văn bản, nêu rõ lý do)"),
               ]),
               text("ghi_chu_cu_tru", "Ghi chú", required=False, maxlength=500),
           ])
    p.gateway("Gateway_che_do", CA_PN, "Chế độ đã chọn; thông báo cư trú", "inclusiveGateway",
              default="Flow_Gateway_che_do_Gateway_hop_nhat")
    p.user("Task_thong_bao_cu_tru", CA_PN, "Thông báo không xóa được đăng ký thường trú, nêu rõ lý do", "1",
           "consult", "Thông báo của Công an xã nêu rõ lý do", [
               *decision("thong_bao_cu_tru", "thông báo"),
               text("ly_do_khong_xoa_thuong_tru", "Lý do không xóa được đăng ký thường trú"),
               text("huong_dan_cu_tru", "Hướng dẫn người nộp (nơi, giấy tờ cần để xóa đăng ký thường trú)",
                    required=False),
           ])
    p.user("Task_tu_tuat", BHXH_PT, "Giải quyết chế độ tử tuất", "7", "consult",
           "Quyết định hưởng chế độ tử tuất", [
               choice("loai_tro_cap_tuat", "Loại trợ cấp tuất",
                      [("mot_lan", "Trợ cấp tuất một lần"), ("hang_thang", "Trợ cấp tuất hằng tháng")]),
               money("so_tien_tro_cap_tuat", "Số tiền trợ cấp (đồng)"),
           ])
    p.user("Task_mai_tang_tham_dinh", PLD_PT, "Thẩm định hồ sơ hỗ trợ chi phí mai táng", "4", "consult",
           "Tờ trình (hoặc dự thảo thông báo không hỗ trợ)", [
               choice("ket_qua_mai_tang", "Kết quả thẩm định", APPRAISAL[:2]),
               money("so_tien_mai_tang_de_xuat", "Số tiền đề xuất (đồng)", required=False),
           ])
    p.gateway("Gateway_mai_tang", PLD_PT, "Đủ điều kiện hỗ trợ?")
    p.user("Task_mai_tang_quyet_dinh", UBND_PT, "Chủ tịch UBND xã quyết định hỗ trợ chi phí mai táng",
           "2", "sign", "Quyết định hỗ trợ chi phí mai táng",
           [*decision("quyet_dinh_mai_tang"), money("so_tien_ho_tro_mai_tang", "Số tiền hỗ trợ (đồng)")])
    p.user("Task_mai_tang_tu_choi", PLD_PT, "Trưởng phòng ký thông báo không hỗ trợ chi phí mai táng, nêu rõ lý do",
           "1", "sign", "Thông báo không hỗ trợ chi phí mai táng nêu rõ lý do", [
               *decision("thong_bao_mai_tang", "thông báo"),
               text("ly_do_tu_choi_mai_tang", "Lý do không hỗ trợ chi phí mai táng"),
           ])
    p.gateway("Gateway_mai_tang_xong", PLD_PT, "Đã có kết quả mai táng phí")
    p.user("Task_ncc_lap_ho_so", PLD_PT, "Lập hồ sơ trợ cấp mai táng người có công, gửi Sở", "3", "consult",
           "Văn bản đề nghị của UBND xã", [text("nhan_xet_ncc", "Nhận xét hồ sơ")])
    p.user("Task_ncc_quyet_dinh", P_NCC, "Thẩm định, trình Lãnh đạo Sở quyết định trợ cấp mai táng", "4",
           "sign", "Quyết định trợ cấp mai táng người có công",
           [*decision("quyet_dinh_ncc"), money("so_tien_mai_tang_ncc", "Số tiền trợ cấp mai táng (đồng)")])
    p.gateway("Gateway_hop_nhat", XA_PN, "Đủ kết quả", "inclusiveGateway")
    p.user("Task_tra_ket_qua", XA_PN, "Trả trích lục khai tử và các kết quả", "0", "return",
           "Trích lục khai tử; kết quả xóa đăng ký thường trú; quyết định hưởng chế độ hoặc thông báo không "
           "giải quyết nêu rõ lý do")
    p.end("End_tra_ket_qua", XA_PN, "Đã trả kết quả", "returned")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_khai_tu", "Task_xoa_thuong_tru", "Gateway_che_do")
    p.flow("Gateway_che_do", "Task_tu_tuat", "Tử tuất", "chon_tu_tuat == True")
    p.flow("Gateway_che_do", "Task_mai_tang_tham_dinh", "Mai táng phí", "chon_mai_tang == True")
    p.flow("Gateway_che_do", "Task_ncc_lap_ho_so", "Mai táng người có công", "chon_mai_tang_nguoi_co_cong == True")
    p.flow("Gateway_che_do", "Task_thong_bao_cu_tru", "Không xóa được thường trú",
           'ket_qua_xoa_thuong_tru == "khong_xoa_duoc"')
    p.flow("Gateway_che_do", "Gateway_hop_nhat", "Không còn việc nào", default=True)
    p.chain("Task_tu_tuat", "Gateway_hop_nhat")
    p.chain("Task_thong_bao_cu_tru", "Gateway_hop_nhat")
    p.chain("Task_mai_tang_tham_dinh", "Gateway_mai_tang")
    p.flow("Gateway_mai_tang", "Task_mai_tang_quyet_dinh", "Đạt", 'ket_qua_mai_tang == "dat"')
    p.flow("Gateway_mai_tang", "Task_mai_tang_tu_choi", "Không đạt", 'ket_qua_mai_tang == "khong_dat"')
    p.chain("Task_mai_tang_quyet_dinh", "Gateway_mai_tang_xong", "Gateway_hop_nhat")
    p.chain("Task_mai_tang_tu_choi", "Gateway_mai_tang_xong")
    p.chain("Task_ncc_lap_ho_so", "Task_ncc_quyet_dinh", "Gateway_hop_nhat")
    p.chain("Gateway_hop_nhat", "Task_tra_ket_qua", "End_tra_ket_qua")
    return p


# --------------------------------------------------------------------------- 6. giấy phép lao động
def giay_phep_lao_dong() -> Procedure:
    """Work permit for a foreign worker (5 working days, cut to 4 by the province)."""
    p = Procedure("giay_phep_lao_dong", "Cấp giấy phép lao động cho người lao động nước ngoài",
                  "BTH.LDVL.01", "10")
    p.start("StartEvent_1", TTPVHCC, "Nhận hồ sơ đề nghị cấp giấy phép lao động", [
        text("ho_ten_nguoi_lao_dong", "Họ và tên người lao động nước ngoài", maxlength=100),
        text("quoc_tich", "Quốc tịch", maxlength=60),
        text("so_ho_chieu", "Số hộ chiếu", maxlength=20),
        text("ten_nguoi_su_dung_lao_dong", "Tên người sử dụng lao động", maxlength=200),
        choice("loai_de_nghi", "Loại đề nghị", [("cap_moi", "Cấp mới"), ("gia_han", "Gia hạn")]),
        choice("vi_tri_cong_viec", "Vị trí công việc", [
            ("nha_quan_ly", "Nhà quản lý"), ("giam_doc_dieu_hanh", "Giám đốc điều hành"),
            ("chuyen_gia", "Chuyên gia"), ("lao_dong_ky_thuat", "Lao động kỹ thuật"),
        ]),
    ])
    p.user("Task_tiep_nhan", TTPVHCC, "Tiếp nhận, kiểm tra thành phần hồ sơ", "0.5", "receive", RECEIPT, [
        flag("co_van_ban_de_nghi", "Văn bản đề nghị cấp giấy phép lao động (Mẫu số 11/PLI)"),
        flag("co_giay_kham_suc_khoe", "Giấy chứng nhận sức khỏe"),
        flag("co_ly_lich_tu_phap", "Phiếu lý lịch tư pháp"),
        flag("co_van_ban_chap_thuan_nhu_cau", "Văn bản chấp thuận nhu cầu sử dụng lao động nước ngoài"),
        flag("co_giay_to_chuyen_mon", "Giấy tờ chứng minh nhà quản lý / chuyên gia / lao động kỹ thuật"),
        flag("co_anh_mau", "02 ảnh màu 4x6 cm"),
        flag("co_ban_sao_ho_chieu", "Bản sao hộ chiếu"),
    ])
    p.user("Task_tham_dinh", P_LDVL, "Chuyên viên Phòng Lao động – Việc làm thẩm định hồ sơ", "6", "examine",
           "Tờ trình, dự thảo giấy phép (hoặc dự thảo văn bản từ chối)", [
               choice("ket_qua_tham_dinh", "Kết quả thẩm định", APPRAISAL),
               text("ly_do", "Lý do không đạt / nội dung cần bổ sung", required=False),
           ])
    p.gateway("Gateway_tham_dinh", P_LDVL, "Cần bổ sung?")
    p.user("Task_truong_phong", P_LDVL, "Trưởng phòng xem xét, trình Lãnh đạo Sở", "1.5", "review", "Tờ trình",
           [text("y_kien_truong_phong", "Ý kiến của Trưởng phòng", required=False)])
    p.user("Task_phe_duyet", LD_SO, "Lãnh đạo Sở xem xét, phê duyệt", "1", "review", "Ý kiến phê duyệt",
           approval("cấp giấy phép"))
    p.gateway("Gateway_phe_duyet", LD_SO, "Cấp giấy phép?")
    p.user("Task_ky", LD_SO, "Lãnh đạo Sở ký giấy phép lao động", "1", "sign", "Giấy phép lao động", [
        text("so_giay_phep", "Số giấy phép lao động", maxlength=30),
        day("ngay_cap_giay_phep", "Ngày cấp giấy phép"),
        day("thoi_han_den", "Giấy phép có thời hạn đến"),
    ])
    p.user("Task_ky_tu_choi", LD_SO, "Lãnh đạo Sở ký văn bản từ chối cấp giấy phép, nêu rõ lý do", "1", "sign",
           "Văn bản từ chối nêu rõ lý do",
           [*decision("van_ban_tu_choi", "văn bản từ chối"), text("ly_do_tu_choi", "Lý do không cấp giấy phép")])
    p.user("Task_tra_ket_qua", TTPVHCC, "Trả giấy phép lao động", "0", "return", "Giấy phép lao động")
    p.end("End_tra_ket_qua", TTPVHCC, "Đã trả kết quả", "returned")
    p.user("Task_tra_tu_choi", TTPVHCC, "Trả văn bản từ chối, nêu rõ lý do", "0", "return",
           "Văn bản từ chối nêu rõ lý do")
    p.end("End_tu_choi", TTPVHCC, "Không cấp giấy phép", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_tham_dinh", "Gateway_tham_dinh")
    p.flow("Gateway_tham_dinh", "Task_truong_phong", "Đạt / không đạt",
           'ket_qua_tham_dinh in ["dat", "khong_dat"]')
    supplement_loop(p, "Gateway_tham_dinh", TTPVHCC, "Task_tham_dinh", 'ket_qua_tham_dinh == "bo_sung"')
    p.chain("Task_truong_phong", "Task_phe_duyet", "Gateway_phe_duyet")
    p.flow("Gateway_phe_duyet", "Task_ky", "Đồng ý cấp", 'phe_duyet == "dong_y"')
    p.flow("Gateway_phe_duyet", "Task_ky_tu_choi", "Không đồng ý", 'phe_duyet == "khong_dong_y"')
    p.flow("Gateway_phe_duyet", "Task_tham_dinh", "Trả lại, thẩm định lại", 'phe_duyet == "tra_lai"')
    p.chain("Task_ky", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_ky_tu_choi", "Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 7. công nhận hộ nghèo
def cong_nhan_ho_ngheo() -> Procedure:
    """Poor / near-poor household recognition during the year (limit and posting period unconfirmed)."""
    p = Procedure("cong_nhan_ho_ngheo", "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
                  "BTH.GN.01", "15")
    p.start("StartEvent_1", XA_PN, "Nhận giấy đề nghị của hộ gia đình", [
        text("ho_ten_chu_ho", "Họ và tên chủ hộ", maxlength=100),
        text("thon_khu_pho", "Thôn / khu phố", maxlength=100),
        Field("so_nhan_khau", "Số nhân khẩu", "long", True, constraints={"min": "1", "max": "30"}),
        choice("loai_de_nghi", "Đề nghị công nhận", [("ho_ngheo", "Hộ nghèo"), ("ho_can_ngheo", "Hộ cận nghèo")]),
    ])
    p.user("Task_tiep_nhan", XA_PN, "Tiếp nhận giấy đề nghị rà soát", "0.5", "receive", RECEIPT, [
        flag("co_giay_de_nghi", "Giấy đề nghị xét duyệt bổ sung hộ nghèo, hộ cận nghèo"),
    ])
    p.user("Task_bcd_xem_xet", BCD_PN, "Ban Chỉ đạo xã xem xét giấy đề nghị", "1.5", "examine",
           "Phiếu kiểm soát (Mẫu 05)", [
               choice("ket_qua_xem_xet", "Kết quả xem xét",
                      [("to_chuc_ra_soat", "Tổ chức rà soát"), ("khong_thuoc_dien", "Không thuộc diện rà soát")]),
               text("ly_do_khong_ra_soat", "Lý do", required=False),
           ])
    p.gateway("Gateway_xem_xet", BCD_PN, "Rà soát?")
    p.user("Task_khao_sat", BCD_PN, "Rà soát viên khảo sát, chấm điểm thu nhập và thiếu hụt dịch vụ", "3",
           "examine", "Phiếu khảo sát hộ gia đình", [
               Field("diem_thu_nhap", "Điểm / mức thu nhập bình quân (đồng/người/tháng)", "long", True,
                     constraints={"min": "0"}),
               Field("so_chi_so_thieu_hut", "Số chỉ số thiếu hụt dịch vụ xã hội cơ bản", "long", True,
                     constraints={"min": "0", "max": "12"}),
           ])
    p.user("Task_hop_dan", BCD_PN, "Họp dân tại thôn, bình xét danh sách", "2", "review",
           "Biên bản họp dân", [
               choice("ket_qua_binh_xet", "Kết quả bình xét",
                      [("dat", "Trên 50% đồng ý"), ("khong_dat", "Không đạt")]),
               text("bien_ban_hop_dan", "Tóm tắt biên bản họp dân"),
           ])
    p.gateway("Gateway_binh_xet", BCD_PN, "Bình xét đạt?")
    p.timer("Timer_niem_yet", BCD_PN, "Niêm yết công khai 3 ngày làm việc", "P3D")
    p.user("Task_tong_hop_niem_yet", BCD_PN, "Tổng hợp ý kiến trong thời gian niêm yết", "1", "review",
           "Biên bản kết thúc niêm yết", [
               flag("co_khieu_nai", "Có khiếu nại trong thời gian niêm yết", required=False),
               text("noi_dung_khieu_nai", "Nội dung khiếu nại", required=False),
           ])
    p.gateway("Gateway_khieu_nai", BCD_PN, "Có khiếu nại?")
    p.user("Task_phuc_tra", BCD_PN, "Phúc tra, giải quyết khiếu nại", "2", "examine", "Biên bản phúc tra",
           [text("ket_luan_phuc_tra", "Kết luận phúc tra")])
    p.user("Task_bao_cao", BCD_PN, "Tổng hợp, báo cáo Chủ tịch UBND xã", "1",
           "review", "Báo cáo kết quả rà soát", decision("bao_cao", "báo cáo"))
    p.user("Task_cong_nhan", XA_PN, "Chủ tịch UBND xã quyết định công nhận, cấp giấy chứng nhận", "3", "sign",
           "Quyết định công nhận; Giấy chứng nhận hộ nghèo / cận nghèo", decision())
    p.user("Task_tra_ket_qua", XA_PN, "Trả giấy chứng nhận cho hộ gia đình", "0", "return",
           "Giấy chứng nhận hộ nghèo / hộ cận nghèo")
    p.end("End_tra_ket_qua", XA_PN, "Đã công nhận", "returned")
    p.user("Task_tra_tu_choi", XA_PN, "Thông báo bằng văn bản, nêu rõ lý do", "0", "return",
           "Thông báo kết quả, nêu rõ lý do")
    p.end("End_tu_choi", XA_PN, "Không công nhận", "refused")
    p.chain("StartEvent_1", "Task_tiep_nhan", "Task_bcd_xem_xet", "Gateway_xem_xet")
    p.flow("Gateway_xem_xet", "Task_khao_sat", "Rà soát", 'ket_qua_xem_xet == "to_chuc_ra_soat"')
    p.flow("Gateway_xem_xet", "Task_tra_tu_choi", "Không thuộc diện", 'ket_qua_xem_xet == "khong_thuoc_dien"')
    p.chain("Task_khao_sat", "Task_hop_dan", "Gateway_binh_xet")
    p.flow("Gateway_binh_xet", "Timer_niem_yet", "Đạt", 'ket_qua_binh_xet == "dat"')
    p.flow("Gateway_binh_xet", "Task_tra_tu_choi", "Không đạt", 'ket_qua_binh_xet == "khong_dat"')
    p.chain("Timer_niem_yet", "Task_tong_hop_niem_yet", "Gateway_khieu_nai")
    p.flow("Gateway_khieu_nai", "Task_phuc_tra", "Có khiếu nại", "co_khieu_nai == True")
    p.flow("Gateway_khieu_nai", "Task_bao_cao", "Không khiếu nại", "co_khieu_nai == False")
    p.flow("Task_phuc_tra", "Task_tong_hop_niem_yet")
    p.chain("Task_bao_cao", "Task_cong_nhan", "Task_tra_ket_qua", "End_tra_ket_qua")
    p.chain("Task_tra_tu_choi", "End_tu_choi")
    return p


# --------------------------------------------------------------------------- 8. sáng kiến CCHC
def sang_kien_cai_cach() -> Procedure:
    """The Department's administrative-reform innovation campaign (plan task 8, internal)."""
    p = Procedure("sang_kien_cai_cach", "Phát động, đánh giá sáng kiến cải cách hành chính", "BTH.NB.01", "30")
    p.start("StartEvent_1", VP_SO, "Phát động phong trào sáng kiến", [
        Field("nam_phat_dong", "Năm phát động", "long", True, constraints={"min": "2021", "max": "2100"}),
        text("chu_de", "Chủ đề, lĩnh vực khuyến khích", maxlength=300),
        day("han_dang_ky", "Hạn đăng ký sáng kiến"),
    ])
    p.user("Task_ke_hoach", VP_SO, "Văn phòng Sở xây dựng kế hoạch phát động", "3", "examine",
           "Dự thảo kế hoạch", [text("noi_dung_ke_hoach", "Tóm tắt nội dung kế hoạch", maxlength=2000)])
    p.user("Task_duyet_ke_hoach", LD_SO, "Lãnh đạo Sở phê duyệt kế hoạch", "2", "sign", "Kế hoạch được phê duyệt",
           decision("ke_hoach", "kế hoạch"))
    p.gateway("Gateway_gui_don_vi", LD_SO, "Gửi các phòng", "parallelGateway")
    units = [("btxh", P_BTXH), ("ncc", P_NCC), ("ldvl", P_LDVL)]
    for code, lane in units:
        p.user(f"Task_dang_ky_{code}", lane, "Đăng ký sáng kiến của đơn vị", "10", "consult",
               "Phiếu đăng ký sáng kiến", [
                   Field(f"so_sang_kien_{code}", "Số sáng kiến đăng ký", "long", True, constraints={"min": "0"}),
                   text(f"ten_sang_kien_{code}", "Tên các sáng kiến", required=False, maxlength=1000),
                   text(f"mo_ta_{code}", "Mô tả tóm tắt, hiệu quả dự kiến", required=False, maxlength=2000),
               ])
    p.gateway("Gateway_tong_hop", VP_SO, "Đủ phiếu đăng ký", "parallelGateway")
    p.user("Task_tong_hop", VP_SO, "Tổng hợp danh sách sáng kiến, trình Hội đồng", "2", "examine",
           "Danh sách sáng kiến đăng ký", [Field("tong_so_sang_kien", "Tổng số sáng kiến", "long", True,
                                                 constraints={"min": "0"})])
    p.user("Task_danh_gia", HD_SK, "Hội đồng chấm điểm, đánh giá sáng kiến", "10", "review",
           "Biên bản đánh giá của Hội đồng", [
               Field("so_sang_kien_duoc_chon", "Số sáng kiến được chọn", "long", True, constraints={"min": "0"}),
               text("bien_ban_danh_gia", "Tóm tắt biên bản đánh giá", maxlength=2000),
           ])
    p.gateway("Gateway_danh_gia", HD_SK, "Có sáng kiến được chọn?", default="Flow_Gateway_danh_gia_Task_thong_bao")
    p.user("Task_cong_nhan", LD_SO, "Lãnh đạo Sở ký quyết định công nhận sáng kiến", "3", "sign",
           "Quyết định công nhận sáng kiến", decision())
    p.user("Task_cong_bo", VP_SO, "Công bố sáng kiến được công nhận trên trang thông tin điện tử", "0", "return",
           "Thông báo công bố sáng kiến")
    p.end("End_cong_bo", VP_SO, "Đã công bố", "returned")
    p.user("Task_thong_bao", VP_SO, "Thông báo không có sáng kiến được công nhận", "0", "return", "Thông báo")
    p.end("End_khong_chon", VP_SO, "Không có sáng kiến được chọn", "refused")
    p.chain("StartEvent_1", "Task_ke_hoach", "Task_duyet_ke_hoach", "Gateway_gui_don_vi")
    for code, _ in units:
        p.chain("Gateway_gui_don_vi", f"Task_dang_ky_{code}", "Gateway_tong_hop")
    p.chain("Gateway_tong_hop", "Task_tong_hop", "Task_danh_gia", "Gateway_danh_gia")
    p.flow("Gateway_danh_gia", "Task_cong_nhan", "Có", "so_sang_kien_duoc_chon > 0")
    p.flow("Gateway_danh_gia", "Task_thong_bao", "Không", default=True)
    p.chain("Task_cong_nhan", "Task_cong_bo", "End_cong_bo")
    p.chain("Task_thong_bao", "End_khong_chon")
    return p


PROCEDURES = [mai_tang_phi, tro_cap_xa_hoi_hang_thang, tho_cung_liet_si, lien_thong_khai_sinh,
              lien_thong_khai_tu, giay_phep_lao_dong, cong_nhan_ho_ngheo, sang_kien_cai_cach]


def main(out_dir: Path | None = None) -> None:
    """Write every procedure's diagram into workflows/."""
    target = out_dir or Path(__file__).resolve().parent.parent / "workflows"
    target.mkdir(exist_ok=True)
    for make in PROCEDURES:
        proc = make()
        path = target / f"{proc.slug}.bpmn"
        path.write_text(to_xml(proc), encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()

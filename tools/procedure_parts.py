"""The vocabulary the shipped procedures share: lane names, form fields, the supplement loop.

``tools/gen_procedures.py`` describes each procedure with these. Lane names must equal agency or
agency kind names (or codes) in workflows/agencies.toml.
"""

from __future__ import annotations

from bpmn_writer import Field, Procedure

# --------------------------------------------------------------------------- agencies (lane names)
TTPVHCC = "Trung tâm Phục vụ hành chính công cấp tỉnh"
VP_SO = "Văn phòng Sở Nội vụ tỉnh Lâm Đồng"
LD_SO = "Lãnh đạo Sở Nội vụ"
P_BTXH = "Trung tâm Dịch vụ việc làm tỉnh Lâm Đồng"
P_NCC = "Phòng Người có công, Sở Nội vụ"
P_LDVL = "Phòng Lao động – Việc làm, Sở Nội vụ"
HD_SK = "Hội đồng sáng kiến Sở Nội vụ tỉnh Lâm Đồng"
UBND_PT = "Lãnh đạo UBND cấp xã"
PLD_PT = "Phòng Văn hóa – Xã hội cấp xã"
UBND_HTB = UBND_PT
PLD_HTB = PLD_PT
XA_PN = "UBND cấp xã"
TP_PN = "Công chức Tư pháp – Hộ tịch cấp xã"
BCD_PN = "Ban Chỉ đạo giảm nghèo cấp xã"
CA_PN = "Công an cấp xã"
XA_HL = XA_PN
BHXH_PT = "Cơ quan Bảo hiểm xã hội cấp tỉnh"

# --------------------------------------------------------------------------- reusable fields
APPRAISAL = [("dat", "Đạt"), ("khong_dat", "Không đạt"), ("bo_sung", "Cần bổ sung hồ sơ")]


def text(id: str, label: str, required: bool = True, maxlength: int = 1000) -> Field:
    """A free-text field with a length limit."""
    return Field(id, label, "string", required, constraints={"maxlength": str(maxlength)})


def flag(id: str, label: str, required: bool = True) -> Field:
    """A yes/no field (one per required document in a checklist)."""
    return Field(id, label, "boolean", required)


def day(id: str, label: str, required: bool = True) -> Field:
    """A date field (ISO yyyy-mm-dd)."""
    return Field(id, label, "date", required)


def money(id: str, label: str, required: bool = True) -> Field:
    """An amount in VND."""
    return Field(id, label, "long", required, constraints={"min": "0"})


def choice(id: str, label: str, values: list[tuple[str, str]], required: bool = True) -> Field:
    """An enum field."""
    return Field(id, label, "enum", required, values=list(values))


def approval(what: str) -> list[Field]:
    """The leader's own decision (phe_duyet) on the division's proposal, and an optional note.

    The gateway after the leader's step reads ``phe_duyet``, never the specialist's appraisal, so the
    leader can overturn it or send the dossier back for rework.
    """
    return [
        choice("phe_duyet", "Ý kiến phê duyệt của Lãnh đạo", [
            ("dong_y", f"Đồng ý {what}"),
            ("khong_dong_y", f"Không đồng ý {what} (ký văn bản từ chối, nêu rõ lý do)"),
            ("tra_lai", "Trả lại chuyên viên thẩm định lại"),
        ]),
        text("y_kien_lanh_dao", "Ý kiến chỉ đạo / nội dung cần làm lại", required=False),
    ]


def decision(prefix: str = "quyet_dinh", what: str = "quyết định") -> list[Field]:
    """Number and date of a signed document."""
    return [text(f"so_{prefix}", f"Số {what}", maxlength=50), day(f"ngay_{prefix}", f"Ngày ký {what}")]


RECEIPT = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01); Phiếu kiểm soát (Mẫu 05)"
SUPPLEMENT = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"
SUPPLEMENT_FORM = [
    choice("ket_qua_bo_sung", "Kết quả bổ sung", [("da_bo_sung", "Đã bổ sung đủ hồ sơ"),
                                                  ("rut_ho_so", "Người nộp rút hồ sơ / không bổ sung")]),
    text("noi_dung_bo_sung", "Nội dung đã bổ sung", required=False),
]


def supplement_loop(p: Procedure, after_gateway: str, lane: str, back_to: str, condition: str) -> None:
    """Supplement branch: wait for the applicant at the desk, then loop back or end withdrawn."""
    p.user("Task_cho_bo_sung", lane, "Chờ người nộp bổ sung, hoàn thiện hồ sơ", "0", "supplement",
           SUPPLEMENT, SUPPLEMENT_FORM,
           doc="Hồ sơ ở trạng thái chờ bổ sung; thời hạn giải quyết tính lại từ khi nhận đủ hồ sơ.")
    p.gateway("Gateway_bo_sung", lane, "Đã bổ sung?")
    p.end("End_rut_ho_so", lane, "Người nộp rút hồ sơ", "withdrawn")
    p.flow(after_gateway, "Task_cho_bo_sung", "Cần bổ sung", condition)
    p.flow("Task_cho_bo_sung", "Gateway_bo_sung")
    p.flow("Gateway_bo_sung", back_to, "Đã bổ sung", 'ket_qua_bo_sung == "da_bo_sung"')
    p.flow("Gateway_bo_sung", "End_rut_ho_so", "Rút hồ sơ", 'ket_qua_bo_sung == "rut_ho_so"')

"""The two sets of one-stop forms, chosen by the setting LIENTHONG_FORM_SET.

- ``2018``: Circular 01/2018/TT-VPCP (guiding Decree 61/2018/NĐ-CP): Mẫu 01 receipt, 02 supplement
  request, 03 refusal, 04 apology and new appointment, 05 control form, 06 register.
- ``2025``: Circular 03/2025/TT-VPCP of 15/9/2025 (guiding Decree 118/2025/NĐ-CP, which replaced
  Decree 61/2018 from 1 July 2025): seven forms, reported as 01 receipt, 02 supplement request,
  03 refusal, 04 apology with extension request, 05 notice of stopping the handling, 06 control
  form, 07 register. The numbering and titles of the 2025 set come from summaries, not the
  circular's own text (unconfirmed); LienThong prints the same content under the set's numbers.

Whether the province already applies the 2025 set is its decision; the default stays ``2018``.
"""

from __future__ import annotations

from engine.errors import InvalidInput

FORM_SETS: dict[str, dict[str, str]] = {
    "2018": {"circular": "Thông tư số 01/2018/TT-VPCP", "receipt": "01", "supplement": "02", "refusal": "03",
             "apology": "04", "control": "05", "register": "06"},
    "2025": {"circular": "Thông tư số 03/2025/TT-VPCP", "receipt": "01", "supplement": "02", "refusal": "03",
             "apology": "04", "stop": "05", "control": "06", "register": "07"},
}
DEFAULT_FORM_SET = "2018"


def check_form_set(name: str) -> str:
    if name not in FORM_SETS:
        raise InvalidInput(f"Bộ biểu mẫu không hợp lệ: {name!r}; dùng {', '.join(FORM_SETS)}")
    return name


def form_reference(form_set: str, form: str) -> str:
    """'Mẫu số 05 (Thông tư số 01/2018/TT-VPCP)' for the control form of the 2018 set."""
    forms = FORM_SETS[check_form_set(form_set)]
    return f"Mẫu số {forms[form]} ({forms['circular']})"

"""Forms that hold, on their own: exact numbers, required ticks, formats declared as Camunda
constraints, dates bounded by today, expression defaults read through the sandbox only."""

from __future__ import annotations

from datetime import date

import pytest

from engine.demo import demo_full_name
from engine.errors import FormInvalid
from engine.forms import FieldSpec, check_applicant, prefill, validate_form

TODAY = date(2026, 3, 2)


def errors_of(fields: list[FieldSpec], data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        validate_form(fields, data, today=TODAY)
    return caught.value.errors


@pytest.mark.parametrize(("raw", "kept"), [(10_000_000, 10_000_000), ("10.000.000", 10_000_000),
                                           ("10 000 000", 10_000_000), (5.0, 5)])
def test_whole_numbers_accept_vietnamese_grouping(raw: object, kept: int) -> None:
    assert validate_form([FieldSpec("n", "Số", "long")], {"n": raw}, today=TODAY) == {"n": kept}


@pytest.mark.parametrize("raw", ["10000000.5", 10000000.5, "10.000.00", "1e3", "10,5"])
def test_a_whole_number_is_never_reinterpreted(raw: object) -> None:
    assert errors_of([FieldSpec("n", "Số", "long")], {"n": raw}) == {"n": "phải là số nguyên"}


@pytest.mark.parametrize(("raw", "kept"), [("10000000.5", "10000000.5"), (10000000.5, "10000000.5"),
                                           ("1,25", "1.25"), (3, "3")])
def test_decimals_are_kept_exactly(raw: object, kept: str) -> None:
    assert validate_form([FieldSpec("d", "Hệ số", "decimal")], {"d": raw}, today=TODAY) == {"d": kept}


def test_a_required_tick_must_be_ticked_and_every_error_comes_at_once() -> None:
    fields = [FieldSpec("tick", "Có tờ khai", "boolean", required=True),
              FieldSpec("id", "CCCD", constraints={"cccd": ""}),
              FieldSpec("mail", "Thư", constraints={"email": ""}),
              FieldSpec("tel", "Điện thoại", constraints={"phone": ""}),
              FieldSpec("died", "Ngày mất", "date", constraints={"max": "today"}),
              FieldSpec("code", "Mã", constraints={"pattern": "[A-Z]{2}-[0-9]{4}"})]
    bad = {"tick": False, "id": "1", "mail": "not-an-email", "tel": "abc<>xyz", "died": "2099-01-01",
           "code": "ab-1"}
    assert set(errors_of(fields, bad)) == set(bad)
    good = {"tick": "on", "id": "079123456789", "mail": "a@b.vn", "tel": "0252 3822 000", "died": TODAY.isoformat(),
            "code": "AB-1234"}
    assert validate_form(fields, good, today=TODAY)["tick"] is True


def test_messages_carry_no_english() -> None:
    found = errors_of([FieldSpec("a", "A", required=True), FieldSpec("n", "N", "long", constraints={"min": "0"})],
                      {"n": -1})
    assert found == {"a": "bắt buộc nhập", "n": "phải từ 0 trở lên"}
    assert found["n"].template == "phải từ %(low)s trở lên"  # type: ignore[attr-defined]


def test_the_applicant_is_checked_with_the_same_rules() -> None:
    values, wrong = check_applicant({"name": "  Trần   Thị Hoa ", "id_number": "1", "email": "x"})
    assert values["name"] == "Trần Thị Hoa"
    assert set(wrong) == {"applicant.id_number", "applicant.email"}


def test_expression_defaults_read_the_case_through_the_sandbox() -> None:
    fields = [FieldSpec("amount", "Số tiền", "long", default="${so_tien_de_xuat}"),
              FieldSpec("escape", "X", default="${().__class__}"), FieldSpec("plain", "Y", default="1")]
    assert prefill(fields, {"so_tien_de_xuat": 9_000_000}) == {"amount": 9_000_000, "plain": "1"}
    assert prefill(fields, {}) == {"plain": "1"}  # nothing entered yet: the field stays empty
    # An expression default is never taken as the literal value of an untouched field.
    assert validate_form(fields, {}, today=TODAY)["amount"] is None


def test_demo_names_do_not_repeat_the_title() -> None:
    assert demo_full_name("Lãnh đạo", "Lãnh đạo Sở LĐ-TB&XH") == "Lãnh đạo Sở LĐ-TB&XH"
    assert demo_full_name("Chuyên viên", "UBND xã Phong Nẫm") == "Chuyên viên UBND xã Phong Nẫm"

"""Personal data removed before a feedback and its answer are published."""

from __future__ import annotations

import pytest

from engine.redaction import EMAIL_MARK, ID_MARK, NAME_MARK, PHONE_MARK, redact


def test_name_contact_email_phone_and_id_numbers_go():
    text = ("Tôi là Nguyễn  Văn An (nguyễn văn an), CCCD 079123456789, CMND 123456789, gọi 0901 234 567 "
            "hoặc +84 90 123 4567, máy bàn 0263.3822.111, thư an@example.vn hay an.nguyen+pakn@mail.example.com.")
    out = redact(text, name="Nguyễn Văn An", contact="an@example.vn")
    for personal in ("Nguyễn", "nguyễn", "079123456789", "123456789", "0901 234 567", "+84 90 123 4567",
                     "0263.3822.111", "an@example.vn", "an.nguyen+pakn@mail.example.com"):
        assert personal not in out, personal
    assert out.count(NAME_MARK) == 2 and out.count(ID_MARK) == 2 and out.count(PHONE_MARK) == 3
    assert out.count(EMAIL_MARK) == 2


@pytest.mark.parametrize("kept", [
    "nhà số 12, tổ 3", "Quyết định số 123/QĐ-UBND ngày 03/03/2026", "số tiền 1.500.000 đồng",
    "năm 2026", "Mẫu số 04", "hẹn 10 ngày làm việc",
])
def test_dates_amounts_and_short_numbers_stay(kept):
    assert redact(f"Nội dung: {kept}.", name="Trần Thị B", contact="0912345678") == f"Nội dung: {kept}."


def test_a_phone_contact_is_removed_wherever_it_appears():
    out = redact("Liên hệ 0912 345 678, hoặc 0912345678", name="B", contact="0912 345 678")
    assert "0912" not in out and PHONE_MARK in out


def test_a_one_letter_name_does_not_erase_the_text():
    assert redact("B là chữ cái", name="B") == "B là chữ cái"

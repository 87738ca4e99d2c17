"""Settings: every deployment choice read once from the environment, bad values refused clearly."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.settings import RateLimit, Settings


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert s.database_url == "sqlite:///var/lienthong.sqlite"
    assert s.document_dir == (Path("var") / "documents").resolve()
    assert s.cutoff == time(15) and s.hours_per_day == Decimal(8)
    assert s.office_hours == ((time(7), time(11, 30)), (time(13, 30), time(17)))
    assert s.supplement_rule == "restart" and s.password_hashing == "standard"
    assert s.max_state_bytes == 4 * 1024 * 1024 and s.login_rate_limit == RateLimit(10, 300)


def test_every_variable_is_read(tmp_path: Path):
    s = Settings.from_env({
        "DATABASE_URL": "postgresql+psycopg://x@h/db", "LIENTHONG_DATA_DIR": str(tmp_path),
        "LIENTHONG_OFFICE_HOURS": "08:00-12:00, 13:00-17:30", "LIENTHONG_CUTOFF": "16:00",
        "LIENTHONG_HOURS_PER_DAY": "8.5", "LIENTHONG_SUPPLEMENT_RULE": "pause",
        "LIENTHONG_WARN_LEAD_DAYS": "2", "LIENTHONG_LOGIN_RATE_LIMIT": "5/60",
        "LIENTHONG_MAX_DOCUMENT_BYTES": "1000", "LIENTHONG_SECURE_COOKIES": "1",
        "LIENTHONG_TRUSTED_PROXIES": "1", "LIENTHONG_MAX_STATE_BYTES": "100000",
        "LIENTHONG_SMTP_URL": "smtp://mail", "LIENTHONG_MAIL_FROM": "a@b", "LIENTHONG_SMS_URL": "https://sms",
        "LIENTHONG_PUBLIC_URL": "https://dichvucong.example.vn",
    })
    assert s.database_url.startswith("postgresql") and s.document_dir == tmp_path.resolve() / "documents"
    assert s.office_hours == ((time(8), time(12)), (time(13), time(17, 30)))
    assert s.calendar_config().cutoff == time(16) and s.calendar_config().hours_per_day == Decimal("8.5")
    assert (s.supplement_rule, s.warn_lead_days, s.login_rate_limit) == ("pause", Decimal(2), RateLimit(5, 60))
    assert (s.max_document_bytes, s.secure_cookies, s.trusted_proxies, s.max_state_bytes) == (1000, True, 1, 100000)
    assert (s.smtp_url, s.mail_from, s.sms_url) == ("smtp://mail", "a@b", "https://sms")
    assert s.public_url == "https://dichvucong.example.vn"


@pytest.mark.parametrize("name, value", [
    ("LIENTHONG_SUPPLEMENT_RULE", "sometimes"), ("LIENTHONG_OFFICE_HOURS", "17:00-07:00"),
    ("LIENTHONG_OFFICE_HOURS", "morning"), ("LIENTHONG_CUTOFF", "3pm"), ("LIENTHONG_LOGIN_RATE_LIMIT", "0/60"),
    ("LIENTHONG_MAX_STATE_BYTES", "-1"), ("LIENTHONG_TIMEZONE", "Mars/Base"), ("LIENTHONG_SECURE_COOKIES", "maybe"),
])
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str):
    with pytest.raises(InvalidInput):
        Settings.from_env({name: value})


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().cutoff = time(16)  # type: ignore[misc]

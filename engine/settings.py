"""The deployment's settings, read once from the environment (the only module that reads it).

``Settings.from_env()`` is called by the command line, the worker and the web application's
factory; everything else receives the object. Each field's environment variable and default is
listed in ``docs/architecture.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from engine.calendar import DEFAULT_TIMEZONE, CalendarConfig, OfficeHours
from engine.errors import InvalidInput
from engine.form_sets import check_form_set

__all__ = ["PasswordHashing", "RateLimit", "Settings", "SupplementRule"]

SupplementRule = Literal["restart", "pause"]
PasswordHashing = Literal["standard", "minimal"]
SUPPLEMENT_RULES: tuple[SupplementRule, ...] = ("restart", "pause")
PASSWORD_HASHINGS: tuple[PasswordHashing, ...] = ("standard", "minimal")
DEFAULT_DATABASE_URL = "sqlite:///var/lienthong.sqlite"
DEFAULT_OFFICE_HOURS = ((time(7), time(11, 30)), (time(13, 30), time(17)))


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` attempts per key in ``seconds``."""

    count: int
    seconds: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.seconds <= 86_400:
            raise InvalidInput("Giới hạn tần suất phải là hai số nguyên dương (lần/giây), khung thời gian tối đa "
                               "một ngày.")


@dataclass(frozen=True)
class Settings:
    """Everything a deployment can set; immutable, built once per process."""

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path("var")
    #: None: ``data_dir / "documents"``.
    document_dir_setting: Path | None = None
    secret_key: str = ""
    timezone: str = DEFAULT_TIMEZONE
    #: Office periods of a working day; the gap between two periods is the lunch break.
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    #: A dossier received after this time counts from the next working day.
    cutoff: time = time(15, 0)
    hours_per_day: Decimal = Decimal(8)
    #: What a supplement request does to the time limit: start it again, or pause it.
    supplement_rule: SupplementRule = "restart"
    #: Steps and dossiers this many working days from their due time are warned about.
    warn_lead_days: Decimal = Decimal(1)
    #: Failed logins per account and client address (five times as many per address, across accounts).
    login_rate_limit: RateLimit = RateLimit(10, 300)
    #: Public dossier lookups (page, API, result download) per client address.
    public_lookup_rate_limit: RateLimit = RateLimit(30, 60)
    #: Wrong receipt secrets per dossier code and client address on the result download.
    result_secret_rate_limit: RateLimit = RateLimit(10, 300)
    #: Online applications submitted per client address (page and API together).
    application_rate_limit: RateLimit = RateLimit(10, 3600)
    max_document_bytes: int = 20 * 1024 * 1024
    max_request_bytes: int = 64 * 1024 * 1024
    #: The saved workflow state of one dossier may not grow beyond this.
    max_state_bytes: int = 4 * 1024 * 1024
    secure_cookies: bool = False
    trusted_proxies: int = 0
    #: Argon2id cost: "standard" (RFC 9106 low-memory: 64 MiB, 3 passes) or "minimal" (test suites).
    password_hashing: PasswordHashing = "standard"  # noqa: S105 (a cost profile, not a password)
    worker_interval: float = 30.0
    #: Deliveries of one outbox row to one subscriber before it is given up.
    outbox_max_attempts: int = 8
    #: First retry delay of a failed delivery, doubled after each failure.
    outbox_retry_seconds: float = 10.0
    smtp_url: str = ""
    mail_from: str = ""
    sms_url: str = ""
    #: The printed forms: "2018" (Circular 01/2018/TT-VPCP) or "2025" (Circular 03/2025/TT-VPCP).
    form_set: str = "2018"
    #: The portal's address, for links in citizen notifications (e.g. https://dichvucong.example.vn).
    public_url: str = ""
    #: Working days an agency has to answer a citizen's feedback (PAKN); Decree 20/2008/NĐ-CP gives
    #: ten for handling a feedback (not confirmed against the decree in force: docs/citizens.md).
    feedback_working_days: Decimal = Decimal(10)
    #: Feedback a client address may send per window (the portal form and the API together).
    feedback_rate_limit: RateLimit = RateLimit(5, 3600)

    def __post_init__(self) -> None:
        if self.supplement_rule not in SUPPLEMENT_RULES:
            raise InvalidInput(f"supplement_rule phải là một trong {SUPPLEMENT_RULES}")
        if self.password_hashing not in PASSWORD_HASHINGS:
            raise InvalidInput(f"password_hashing phải là một trong {PASSWORD_HASHINGS}")
        for name in ("max_document_bytes", "max_request_bytes", "max_state_bytes", "outbox_max_attempts"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} phải là số nguyên dương")
        if self.trusted_proxies < 0:
            raise InvalidInput("trusted_proxies không được âm")
        self.calendar_config()  # office hours, time zone and day length checked now
        check_form_set(self.form_set)
        if not Decimal(0) < self.feedback_working_days <= Decimal(60):
            raise InvalidInput("feedback_working_days phải lớn hơn 0 và tối đa 60 ngày làm việc")

    @property
    def document_dir(self) -> Path:
        return (self.document_dir_setting or self.data_dir / "documents").resolve()

    def calendar_config(self) -> CalendarConfig:
        return CalendarConfig(timezone=self.timezone, hours=((None, OfficeHours(self.office_hours)),),
                              cutoff=self.cutoff, hours_per_day=self.hours_per_day)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment variables (``environ``, default ``os.environ``)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        values: dict[str, Any] = {}
        readers: dict[str, tuple[str, Any]] = {
            "database_url": ("DATABASE_URL", str),
            "data_dir": ("LIENTHONG_DATA_DIR", Path),
            "document_dir_setting": ("LIENTHONG_DOCUMENT_DIR", Path),
            "secret_key": ("SECRET_KEY", str),
            "timezone": ("LIENTHONG_TIMEZONE", str),
            "office_hours": ("LIENTHONG_OFFICE_HOURS", _periods),
            "cutoff": ("LIENTHONG_CUTOFF", _clock_time),
            "hours_per_day": ("LIENTHONG_HOURS_PER_DAY", _decimal),
            "supplement_rule": ("LIENTHONG_SUPPLEMENT_RULE", str),
            "warn_lead_days": ("LIENTHONG_WARN_LEAD_DAYS", _decimal),
            "login_rate_limit": ("LIENTHONG_LOGIN_RATE_LIMIT", _rate),
            "public_lookup_rate_limit": ("LIENTHONG_LOOKUP_RATE_LIMIT", _rate),
            "result_secret_rate_limit": ("LIENTHONG_RESULT_SECRET_RATE_LIMIT", _rate),
            "application_rate_limit": ("LIENTHONG_APPLICATION_RATE_LIMIT", _rate),
            "max_document_bytes": ("LIENTHONG_MAX_DOCUMENT_BYTES", _int),
            "max_request_bytes": ("LIENTHONG_MAX_REQUEST_BYTES", _int),
            "max_state_bytes": ("LIENTHONG_MAX_STATE_BYTES", _int),
            "secure_cookies": ("LIENTHONG_SECURE_COOKIES", _flag),
            "trusted_proxies": ("LIENTHONG_TRUSTED_PROXIES", _int),
            "password_hashing": ("LIENTHONG_PASSWORD_HASHING", str),
            "worker_interval": ("LIENTHONG_WORKER_INTERVAL", float),
            "outbox_max_attempts": ("LIENTHONG_OUTBOX_MAX_ATTEMPTS", _int),
            "outbox_retry_seconds": ("LIENTHONG_OUTBOX_RETRY_SECONDS", float),
            "smtp_url": ("LIENTHONG_SMTP_URL", str),
            "mail_from": ("LIENTHONG_MAIL_FROM", str),
            "sms_url": ("LIENTHONG_SMS_URL", str),
            "form_set": ("LIENTHONG_FORM_SET", str),
            "public_url": ("LIENTHONG_PUBLIC_URL", str),
            "feedback_working_days": ("LIENTHONG_FEEDBACK_DAYS", _decimal),
            "feedback_rate_limit": ("LIENTHONG_FEEDBACK_RATE_LIMIT", _rate),
        }
        for attr, (name, parse) in readers.items():
            raw = get(name)
            if raw is None:
                continue
            try:
                values[attr] = parse(raw)
            except (ValueError, InvalidOperation) as exc:
                raise InvalidInput(f"Biến môi trường {name} không hợp lệ: {raw!r}") from exc
        return cls(**values)


def _int(text: str) -> int:
    return int(text)


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _clock_time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError(text)
    return time(int(match[1]), int(match[2]))


def _periods(text: str) -> tuple[tuple[time, time], ...]:
    """``07:00-11:30,13:30-17:00`` → the office periods (the gap is the lunch break)."""
    periods = []
    for part in text.split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise ValueError(text)
        periods.append((_clock_time(start.strip()), _clock_time(end.strip())))
    return tuple(periods)


def _rate(text: str) -> RateLimit:
    """``10/300``: ten attempts per 300 seconds."""
    count, sep, seconds = text.partition("/")
    if not sep:
        raise ValueError(text)
    return RateLimit(int(count), int(seconds))

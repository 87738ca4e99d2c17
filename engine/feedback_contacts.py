"""The officials who receive and answer citizens' feedback (PAKN) for each agency, as the portal publishes
them (plan task 7): name, title, phone, e-mail. The administrator keeps the list; only what they enter
is published. Stored in the agency's ``contacts`` (``feedback_officials``); a registry with confirmed
contacts (workflows/agencies.toml, ``contacts_confirmed``) seeds its list once (engine.demo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine import accounts, models
from engine.accounts import AgencyInfo
from engine.errors import FormInvalid, NotFound

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["FIELDS", "MAX_PER_AGENCY", "ContactOfficial", "contacts_of", "published_contacts", "set_contacts"]

KEY = "feedback_officials"
FIELDS = ("name", "title", "phone", "email")
LIMITS = {"name": 120, "title": 160, "phone": 32, "email": 120}
MAX_PER_AGENCY = 10
_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{5,30}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class ContactOfficial:
    name: str
    title: str
    phone: str
    email: str


def _clean(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def contacts_of(agency: AgencyInfo) -> list[ContactOfficial]:
    """The published feedback officials of one agency (entries without a name are skipped)."""
    raw = agency.contacts.get(KEY) or []
    out = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, Mapping) and _clean(entry.get("name")):
            out.append(ContactOfficial(*(_clean(entry.get(k))[:LIMITS[k]] for k in FIELDS)))
    return out[:MAX_PER_AGENCY]


def published_contacts(engine: Engine) -> list[tuple[AgencyInfo, list[ContactOfficial]]]:
    """Every agency in force that has feedback officials, with them, by agency name."""
    with engine.Session() as session:
        found = [(a, contacts_of(a)) for a in accounts.list_agencies(session) if a.valid_to is None]
    return sorted([(a, c) for a, c in found if c], key=lambda pair: pair[0].name)


def set_contacts(engine: Engine, agency_code: str, entries: Iterable[Mapping[str, Any]]) -> list[ContactOfficial]:
    """Replace an agency's feedback officials; rows with every field empty are dropped. FormInvalid names
    the bad field as ``<field>_<row>`` (rows from 0)."""
    kept: list[ContactOfficial] = []
    errors: dict[str, str] = {}
    for i, entry in enumerate(list(entries)[:MAX_PER_AGENCY + 5]):
        values = {k: _clean(entry.get(k)) for k in FIELDS}
        if not any(values.values()):
            continue
        for key in FIELDS:
            if len(values[key]) > LIMITS[key]:
                errors[f"{key}_{i}"] = f"Tối đa {LIMITS[key]} ký tự"
        if not values["name"]:
            errors[f"name_{i}"] = "Ghi họ tên"
        if values["phone"] and not _PHONE.fullmatch(values["phone"]):
            errors[f"phone_{i}"] = "Số điện thoại không hợp lệ"
        if values["email"] and not _EMAIL.fullmatch(values["email"]):
            errors[f"email_{i}"] = "Địa chỉ thư điện tử không hợp lệ"
        if not values["phone"] and not values["email"]:
            errors.setdefault(f"phone_{i}", "Ghi số điện thoại hoặc thư điện tử để người dân liên hệ")
        kept.append(ContactOfficial(**values))
    if len(kept) > MAX_PER_AGENCY:
        errors["name"] = f"Tối đa {MAX_PER_AGENCY} người cho một cơ quan"
    if errors:
        raise FormInvalid(errors)
    with engine.transaction() as session:
        row = session.scalar(select(models.Agency).where(models.Agency.code == agency_code.strip()[:64]))
        if row is None:
            raise NotFound(f"Không có cơ quan {agency_code[:64]!r}")
        contacts = dict(row.contacts or {})
        contacts[KEY] = [c.__dict__ for c in kept]
        row.contacts = contacts
    return kept

"""The demo: agencies from the registry, officials for each agency's demo roles, every procedure."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import accounts, models, units
from engine.catalog import (
    AgencyRecord,
    contacts_confirmed,
    load_agency_registry,
    load_kinds,
    procedure_files,
    units_file,
)
from engine.errors import DefinitionError
from engine.problems import Problem


def demo_username(agency_code: str, role: str) -> str:
    """'UBNDX.LH' + 'clerk' → 'ubndx.lh.clerk'."""
    base = unicodedata.normalize("NFKD", agency_code).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]+", "-", base).strip("-.") + "." + role


def load_registry(session: Any, workflows_dir: Path, now: Any) -> list[AgencyRecord]:
    """Administrative units, agency kinds and agencies of a workflows directory (idempotent)."""
    registry_path = workflows_dir / "agencies.toml"
    registry = load_agency_registry(registry_path)
    units_csv = units_file(registry_path)
    if units_csv is not None:
        units.import_units(session, units_csv.read_text(encoding="utf-8"))
    for kind in load_kinds(registry_path):
        units.add_kind(session, kind.code, kind.name, level=kind.level, public_name=kind.public_name, update=True)
    confirmed = contacts_confirmed(registry_path)
    for rec in registry:  # the registry lists parents before their children
        # Contact details are the administrator's once seeded (/admin/feedback-contacts, /admin): a re-seed keeps
        # them; sample details (contacts_confirmed = false) are never seeded, so citizens never see them.
        row = session.scalar(select(models.Agency).where(models.Agency.code == rec.code))
        kept = dict(row.contacts or {}) if row is not None else {}
        contacts: dict[str, Any] = {"short_name": rec.short_name, "notes": list(rec.notes)}
        if "feedback_officials" in kept:
            contacts["feedback_officials"] = kept["feedback_officials"]
        elif confirmed:
            contacts["feedback_officials"] = [f.__dict__ for f in rec.feedback_officials]
        if confirmed:
            address, phone, email = rec.address, rec.phone, rec.email
        elif row is not None:
            address, phone, email = row.address, row.phone, row.email
        else:
            address, phone, email = "", "", ""
        accounts.add_agency(session, rec.code, rec.name, now=now, parent=rec.parent, level=rec.level,
                            address=address, phone=phone, email=email, contacts=contacts,
                            unit_code=rec.unit_code, update=True, kind=rec.kind or None, admin_unit=rec.unit or None)
    return registry


def demo_full_name(title: str, agency: str) -> str:
    """'Lãnh đạo' + 'Lãnh đạo Sở LĐ-TB&XH' → 'Lãnh đạo Sở LĐ-TB&XH', not the title twice."""
    return agency if agency.casefold().startswith(title.casefold()) else f"{title} {agency}"


def seed(engine: Any, workflows_dir: Path, password: str) -> list[tuple[str, str, str]]:
    """Load units, agency kinds, agencies, officials and procedures (idempotent); return
    (username, roles, agency) logins."""
    now = engine.now()
    logins: list[tuple[str, str, str]] = []
    with engine.transaction() as session:
        registry = load_registry(session, workflows_dir, now)
        for rec in registry:
            for role in rec.demo_roles:
                username = demo_username(rec.code, role)
                exists = session.scalar(select(models.Official).where(models.Official.username == username))
                if exists is None:
                    title = {"clerk": "Cán bộ một cửa", "officer": "Chuyên viên", "leader": "Lãnh đạo"}.get(role, role)
                    full_name = demo_full_name(title, rec.short_name or rec.name)
                    accounts.add_official(session, username, full_name=full_name,
                                          agency_code=rec.code, roles=[role], password=password, now=now)
                logins.append((username, role, rec.name))
        for username, roles, code in (("thietke", "designer", "SNV.VP"), ("quantri", "admin", "SNV.VP")):
            if session.scalar(select(models.Official).where(models.Official.username == username)) is None:
                accounts.add_official(session, username, full_name=f"{roles.title()} Demo", agency_code=code,
                                      roles=[roles], password=password, now=now)
            logins.append((username, roles, code))
    problems: list[Problem] = []
    for bpmn_path, toml_path in procedure_files(workflows_dir):
        with toml_path.open("rb") as fh:
            metadata = tomllib.load(fh)
        try:
            engine.deploy(bpmn_path.read_bytes(), filename=bpmn_path.name, metadata=metadata,
                          decision_number=str(metadata.get("approval_decision", "")))
        except DefinitionError as exc:
            problems.extend(replace(p, file=str(bpmn_path)) for p in exc.problems)
    if problems:
        raise DefinitionError(problems)
    return logins

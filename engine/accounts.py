"""Agencies and officials: records, roles, password hashing (Argon2id), lane binding keys."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import models, tokens
from engine.actor import Actor as Actor  # part of this module's interface (most callers import it here)
from engine.errors import Conflict, InvalidInput, NotFound
from engine.events import record
from engine.statuses import StepState

ROLES = ("clerk", "officer", "leader", "designer", "admin")
#: Roles that handle steps of their own agency.
HANDLING_ROLES = frozenset({"clerk", "officer", "leader"})
#: The roles a step may name in ``camunda:candidateGroups``.
STEP_ROLES = ("clerk", "officer", "leader")
LEVELS = ("central", "province", "district", "commune", "unit")
#: Argon2id profiles by the ``password_hashing`` setting: "standard" is the library's RFC 9106
#: low-memory profile (64 MiB, 3 passes); "minimal" keeps Argon2id with the smallest parameters
#: (test suites, where fixtures create dozens of officials). A hash made under another profile is
#: upgraded on the official's next login (check_needs_rehash).
HASHING_PROFILES = {"standard": profiles.RFC_9106_LOW_MEMORY, "minimal": profiles.CHEAPEST}
_hasher = PasswordHasher.from_parameters(HASHING_PROFILES["standard"])


def configure_password_hashing(kind: str) -> None:
    """Hash passwords under the profile ``kind`` from now on (the engine applies its settings)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(HASHING_PROFILES[kind])
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


def lookup_key(text: str) -> str:
    """Case-, whitespace- and Unicode-form-insensitive key that binds a lane name to an agency."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A fixed hash to verify against when the username is unknown, so timing does not reveal it."""
    return hash_password("lienthong-no-such-user")


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    code: str
    name: str
    parent_code: str | None
    unit_code: str
    level: str
    address: str
    phone: str
    email: str
    contacts: dict[str, Any]
    kind_code: str | None = None
    #: The administrative unit (admin_units.code) the agency serves.
    admin_unit: str | None = None
    valid_to: Any = None
    successor_code: str | None = None


def parse_roles(roles: str | Iterable[str]) -> frozenset[str]:
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    out = frozenset(r.strip().lower() for r in items if r.strip())
    unknown = out - set(ROLES)
    if unknown or not out:
        raise InvalidInput(f"Vai trò không hợp lệ: {', '.join(sorted(unknown)) or '(trống)'}; "
                           f"dùng {', '.join(ROLES)}")
    return out


def _agency_info(session: Session, a: models.Agency) -> AgencyInfo:
    parent = session.get(models.Agency, a.parent_id) if a.parent_id else None
    successor = session.get(models.Agency, a.successor_id) if a.successor_id else None
    return AgencyInfo(a.id, a.code, a.name, parent.code if parent else None, a.unit_code or "", a.level,
                      a.address, a.phone, a.email, dict(a.contacts or {}), a.kind_code, a.admin_unit,
                      a.valid_to, successor.code if successor else None)


def add_agency(session: Session, code: str, name: str, *, now: datetime, parent: str | None = None,
               level: str = "province", address: str = "", phone: str = "", email: str = "",
               contacts: dict[str, Any] | None = None, unit_code: str = "", update: bool = False,
               kind: str | None = None, admin_unit: str | None = None) -> AgencyInfo:
    """Create (or with ``update`` refresh) an agency; codes are unique, names bind lanes too.

    ``kind`` and ``admin_unit`` (checked by check_agency_binding) make it the agency of that kind
    serving that unit, for lanes that name the kind."""
    code = code.strip()
    if not _CODE_RE.match(code):
        raise InvalidInput(f"Mã cơ quan không hợp lệ: {code!r} (chữ, số, . _ -)")
    if not name.strip():
        raise InvalidInput("Tên cơ quan không được trống")
    if level not in LEVELS:
        raise InvalidInput(f"Cấp không hợp lệ: {level}; dùng {', '.join(LEVELS)}")
    parent_row = None
    if parent:
        parent_row = session.scalar(select(models.Agency).where(models.Agency.code == parent))
        if parent_row is None:
            raise NotFound(f"Không có cơ quan cha {parent!r}")
    row = session.scalar(select(models.Agency).where(models.Agency.code == code))
    if row is not None and not update:
        raise Conflict(f"Mã cơ quan {code!r} đã tồn tại")
    clash = session.scalar(select(models.Agency).where(models.Agency.lookup_key == lookup_key(name),
                                                       models.Agency.code != code))
    if clash is not None:
        raise Conflict(f"Tên cơ quan {name!r} trùng với {clash.code}")
    check_agency_binding(session, code, name, kind, admin_unit, row.id if row is not None else None)
    if row is None:
        row = models.Agency(code=code, created_at=now)
        session.add(row)
    row.name = " ".join(name.split())
    row.kind_code, row.admin_unit = kind or None, admin_unit or None
    row.lookup_key = lookup_key(name)
    row.parent_id = parent_row.id if parent_row else None
    row.level, row.address, row.phone, row.email = level, address, phone, email
    row.unit_code = unit_code.strip()
    row.contacts = dict(contacts or {})
    session.flush()
    return _agency_info(session, row)


def list_agencies(session: Session) -> list[AgencyInfo]:
    rows = session.scalars(select(models.Agency).order_by(models.Agency.code)).all()
    return [_agency_info(session, a) for a in rows]


def get_agency(session: Session, code: str) -> AgencyInfo:
    row = session.scalar(select(models.Agency).where(models.Agency.code == code))
    if row is None:
        raise NotFound(f"Không có cơ quan {code!r}")
    return _agency_info(session, row)


def agency_for_lane(session: Session, lane_name: str) -> models.Agency | None:
    """The agency whose code or name equals the lane's name (case- and whitespace-insensitive)."""
    key = lookup_key(lane_name)
    row = session.scalar(select(models.Agency).where(models.Agency.lookup_key == key))
    if row is not None:
        return row
    for agency in session.scalars(select(models.Agency)):
        if lookup_key(agency.code) == key:
            return agency
    return None


def add_official(session: Session, username: str, *, full_name: str, agency_code: str,
                 roles: str | Iterable[str], password: str, now: datetime) -> Actor:
    """Create an official of an agency with roles and a password (hashed with Argon2id)."""
    username = username.strip().lower()
    if not _USERNAME_RE.match(username):
        raise InvalidInput(f"Tên đăng nhập không hợp lệ: {username!r} (chữ thường, số, . _ -)")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải dài ít nhất {MIN_PASSWORD} ký tự")
    role_set = parse_roles(roles)
    agency = session.scalar(select(models.Agency).where(models.Agency.code == agency_code))
    if agency is None:
        raise NotFound(f"Không có cơ quan {agency_code!r}")
    if session.scalar(select(models.Official).where(models.Official.username == username)) is not None:
        raise Conflict(f"Tên đăng nhập {username!r} đã tồn tại")
    row = models.Official(username=username, full_name=full_name.strip() or username, agency_id=agency.id,
                          roles=",".join(sorted(role_set)), password_hash=hash_password(password),
                          active=True, created_at=now)
    session.add(row)
    session.flush()
    return actor_of(session, row)


def set_password(session: Session, username: str, password: str, *, now: datetime | None = None,
                 by: Actor | None = None) -> None:
    """A new password; the official's API tokens are revoked (a password change signs out).
    With ``now``, logged as ``official.updated`` (who, when; never the password)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải dài ít nhất {MIN_PASSWORD} ký tự")
    row = _official(session, username)
    row.password_hash = hash_password(password)
    row.session_generation = (row.session_generation or 0) + 1  # every web session ends
    tokens.revoke_all(session, row.id)
    if now is not None:
        _log_change(session, row, now, by, {"password": "changed"})


def _official(session: Session, username: str) -> models.Official:
    row = session.scalar(select(models.Official).where(models.Official.username == username.strip().lower()))
    if row is None:
        raise NotFound(f"Không có cán bộ {username!r}")
    return row


def _log_change(session: Session, row: models.Official, now: datetime, by: Actor | None,
                changes: dict[str, Any]) -> None:
    """An ``official.updated`` entry in the event log: who changed whom, and what."""
    record(session, "official.updated", now, actor_id=by.id if by else None,
           details={"username": row.username, **changes})


def update_official(session: Session, username: str, *, now: datetime, by: Actor | None = None,
                    active: bool | None = None, roles: str | Iterable[str] | None = None) -> Actor:
    """Deactivate or reactivate an official, or change their roles (an administrator's act).

    Takes effect at once everywhere: the official's web sessions end (engine.sessions) and every
    API request looks its token and the official up afresh. Deactivating also
    revokes the official's API tokens and gives their claimed steps back to their agency's queue
    (a ``step.unclaimed`` event each), so no dossier waits on someone who has left. An official
    cannot deactivate themselves or take away their own admin role. Logged as
    ``official.updated``.
    """
    row = _official(session, username)
    changes: dict[str, Any] = {}
    if roles is not None:
        role_set = parse_roles(roles)
        if by is not None and by.id == row.id and "admin" not in role_set:
            raise InvalidInput("Không thể tự bỏ vai trò quản trị của chính mình")
        new_roles = ",".join(sorted(role_set))
        if new_roles != row.roles:
            changes["roles"] = {"from": row.roles, "to": new_roles}
            row.roles = new_roles
    if active is not None and bool(active) != bool(row.active):
        if by is not None and by.id == row.id:
            raise InvalidInput("Không thể tự khoá tài khoản của chính mình")
        changes["active"] = {"from": bool(row.active), "to": bool(active)}
        row.active = bool(active)
    if not changes:
        return actor_of(session, row)
    row.session_generation = (row.session_generation or 0) + 1  # every web session ends
    session.flush()
    if changes.get("active", {}).get("to") is False:
        tokens.revoke_all(session, row.id)
        released = session.execute(
            update(models.Step).where(models.Step.assignee_id == row.id, models.Step.state == StepState.CLAIMED)
            .values(state=StepState.READY, assignee_id=None, claimed_at=None)
            .returning(models.Step.id, models.Step.dossier_id)).all()
        for step_id, dossier_id in released:
            record(session, "step.unclaimed", now, dossier_id=dossier_id, step_id=step_id,
                   actor_id=by.id if by else None, details={"previous": row.id, "reason": "deactivated"})
        changes["released_steps"] = [step_id for step_id, _ in released]
    _log_change(session, row, now, by, changes)
    session.flush()
    return actor_of(session, row)


def actor_of(session: Session, row: models.Official) -> Actor:
    agency = session.get(models.Agency, row.agency_id)
    assert agency is not None
    return Actor(row.id, row.username, row.full_name, agency.id, agency.code, agency.name,
                 frozenset(r for r in row.roles.split(",") if r), bool(row.active), row.session_generation or 0)


def get_actor(session: Session, official_id: int) -> Actor | None:
    row = session.get(models.Official, official_id)
    if row is None or not row.active:
        return None
    return actor_of(session, row)


def authenticate(session: Session, username: str, password: str) -> Actor | None:
    """The official when the password matches, else None (constant work for unknown users)."""
    row = session.scalar(select(models.Official).where(models.Official.username == username.strip().lower()))
    if row is None or not row.active:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    return actor_of(session, row)


def list_officials(session: Session, agency_code: str | None = None) -> list[Actor]:
    stmt = select(models.Official).order_by(models.Official.username)
    if agency_code:
        stmt = stmt.join(models.Agency, models.Agency.id == models.Official.agency_id).where(
            models.Agency.code == agency_code)
    return [actor_of(session, r) for r in session.scalars(stmt)]


def check_agency_binding(session: Session, code: str, name: str, kind: str | None, unit: str | None,
                         agency_id: int | None) -> None:
    """An agency's kind and unit: both known, levels matching, no second agency in force of that
    kind in that unit; its code and name must not be a kind's (a lane would be ambiguous)."""
    for text in dict.fromkeys((code, name)):
        key = lookup_key(text)
        clash = next((k for k in session.scalars(select(models.AgencyKind))
                      if key in (k.lookup_key, lookup_key(k.code))), None)
        if clash is not None:
            raise Conflict(f"«{text}» là tên hoặc mã của loại cơ quan {clash.code}")
    if not kind and not unit:
        return
    unit_row = session.get(models.AdminUnit, unit) if unit else None
    if unit and unit_row is None:
        raise NotFound(f"Không có đơn vị hành chính mã «{unit}»")
    if not kind:
        return
    kind_row = session.get(models.AgencyKind, kind)
    if kind_row is None:
        raise NotFound(f"Không có loại cơ quan «{kind}»")
    if unit_row is None:
        raise InvalidInput(f"Cơ quan loại «{kind_row.name}» cần đơn vị hành chính nơi nó phục vụ (--unit)")
    if unit_row.level != kind_row.level:
        raise InvalidInput(f"Loại «{kind_row.name}» phục vụ đơn vị cấp {kind_row.level}, "
                           f"còn {unit_row.name} là cấp {unit_row.level}")
    other = session.scalar(select(models.Agency).where(
        models.Agency.kind_code == kind, models.Agency.admin_unit == unit, models.Agency.valid_to.is_(None),
        models.Agency.id != (agency_id or -1)))
    if other is not None:
        raise Conflict(f"{unit_row.name} đã có cơ quan loại «{kind_row.name}»: {other.code}")


def may_handle(actor: Actor, role: str) -> bool:
    """Whether the official may take a step naming ``role`` ("" = any handling official)."""
    return actor.has(role) if role else actor.has(*HANDLING_ROLES)


def role_params(actor: Actor) -> dict[str, str]:
    """The official's step roles as the three parameters of the claim and inbox statements
    (``b_role1..3``; a role not held is "", which matches only steps naming no role)."""
    held = [r for r in STEP_ROLES if r in actor.roles]
    held += [""] * (3 - len(held))
    return {"b_role1": held[0], "b_role2": held[1], "b_role3": held[2]}

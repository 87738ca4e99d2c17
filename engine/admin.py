"""An administrator's changes to agencies and officials, each in its own transaction (rules in
engine.accounts: what a change checks, what it revokes, what it logs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine import accounts
from engine.accounts import AgencyInfo
from engine.actor import Actor

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["change_official", "create_agency", "create_official"]


def create_agency(engine: Engine, code: str, name: str, *, parent: str | None = None, level: str = "province",
                  address: str = "", phone: str = "", email: str = "") -> AgencyInfo:
    with engine.transaction() as session:
        return accounts.add_agency(session, code, name, now=engine.now(), parent=parent, level=level,
                                   address=address, phone=phone, email=email)


def create_official(engine: Engine, username: str, *, full_name: str, agency_code: str, roles: Iterable[str],
                    password: str) -> Actor:
    with engine.transaction() as session:
        return accounts.add_official(session, username, full_name=full_name, agency_code=agency_code,
                                     roles=roles, password=password, now=engine.now())


def change_official(engine: Engine, username: str, *, by: Actor, active: bool | None = None,
                    roles: Iterable[str] | None = None) -> Actor:
    """Deactivate, reactivate or change the roles of an official (which ends their sessions)."""
    with engine.transaction() as session:
        return accounts.update_official(session, username, now=engine.now(), by=by, active=active, roles=roles)

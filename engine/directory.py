"""Who is who, for the web pages: agencies, officials, the agency bound to a diagram's lane."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select

from engine import accounts, models, units
from engine.accounts import AgencyInfo
from engine.actor import Actor
from engine.errors import NotFound
from engine.units import UnitInfo

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["agencies", "agencies_named", "commune_units", "lane_agencies", "officials", "receiving_agency_id"]


def agencies(engine: Engine) -> list[AgencyInfo]:
    """Every agency, by code."""
    with engine.Session() as session:
        return accounts.list_agencies(session)


def agencies_named(engine: Engine, codes: Iterable[str]) -> list[AgencyInfo]:
    """The agencies of ``codes`` that exist, in the order given."""
    out = []
    with engine.Session() as session:
        for code in codes:
            try:
                out.append(accounts.get_agency(session, code))
            except NotFound:
                continue
    return out


def officials(engine: Engine, agency_code: str | None = None) -> list[Actor]:
    """Every official (of one agency when ``agency_code`` is given), by username."""
    with engine.Session() as session:
        return accounts.list_officials(session, agency_code)


def lane_agencies(engine: Engine, lanes: Iterable[str]) -> dict[str, AgencyInfo]:
    """Each lane name with the agency it binds to (lanes binding to none are left out)."""
    out: dict[str, AgencyInfo] = {}
    with engine.Session() as session:
        for lane in lanes:
            row = accounts.agency_for_lane(session, lane)
            if row is not None:
                out[lane] = accounts.get_agency(session, row.code)
    return out


def receiving_agency_id(engine: Engine, code: str) -> int | None:
    """The agency whose desk received the dossier ``code`` (None: no such dossier)."""
    with engine.Session() as session:
        return session.scalar(select(models.Dossier.receiving_agency_id).where(models.Dossier.code == code))


def commune_units(engine: Engine) -> list[UnitInfo]:
    """The communes and wards in force, for the desk's commune field."""
    with engine.Session() as session:
        return units.list_units(session, level="commune")

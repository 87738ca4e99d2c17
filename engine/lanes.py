"""Which agency a lane means for one dossier: a lane names an agency, or a kind of agency.

A lane whose name (or code) is an agency's binds to that agency, whatever the dossier. A lane
whose name (or code) is an agency kind's ("UBND cấp xã", ``ubnd_xa``) binds per dossier: to the
agency of that kind serving the dossier's commune, or for a province-level kind to the agency of
that kind in the commune's province. A dissolved agency hands over to its successor.

:func:`resolve` is a pure function over a :class:`Directory` (a snapshot of kinds, units and
agencies); :func:`load_directory` reads that snapshot from the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.accounts import lookup_key
from engine.errors import InvalidInput

#: Successor links followed at most this many times (a cycle in the data must not hang a dossier).
MAX_SUCCESSORS = 16


class LaneUnresolved(InvalidInput):
    """A lane binds to no agency for this dossier: unknown name, or no agency of the kind in the unit."""


@dataclass(frozen=True)
class KindEntry:
    code: str
    name: str
    level: str
    public_name: str = ""

    @property
    def shown(self) -> str:
        """How citizens read the lane: "UBND cấp xã nơi cư trú"."""
        return self.public_name or self.name


@dataclass(frozen=True)
class AgencyEntry:
    id: int
    code: str
    name: str
    kind_code: str | None = None
    admin_unit: str | None = None
    valid_to: date | None = None
    successor_id: int | None = None


@dataclass(frozen=True)
class UnitEntry:
    code: str
    name: str
    level: str
    parent_code: str | None = None
    valid_to: date | None = None
    successor_code: str | None = None


@dataclass(frozen=True)
class Directory:
    """Kinds, units and agencies as lane resolution needs them, on one day."""

    today: date
    kinds: Mapping[str, KindEntry]
    units: Mapping[str, UnitEntry]
    agencies: Mapping[int, AgencyEntry]
    #: lookup key of an agency's code or name → agency id; of a kind's code or name → kind code.
    agency_keys: Mapping[str, int] = field(default_factory=dict)
    kind_keys: Mapping[str, str] = field(default_factory=dict)
    #: (kind code, unit code) → the agency in force of that kind serving that unit.
    serving: Mapping[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def build(cls, today: date, kinds: Iterable[KindEntry], units: Iterable[UnitEntry],
              agencies: Iterable[AgencyEntry]) -> Directory:
        kind_map = {k.code: k for k in kinds}
        agency_map = {a.id: a for a in agencies}
        kind_keys: dict[str, str] = {}
        for k in kind_map.values():
            kind_keys[lookup_key(k.code)] = k.code
            kind_keys[lookup_key(k.name)] = k.code
        agency_keys: dict[str, int] = {}
        serving: dict[tuple[str, str], int] = {}
        for a in sorted(agency_map.values(), key=lambda a: a.id):
            agency_keys.setdefault(lookup_key(a.code), a.id)
            agency_keys.setdefault(lookup_key(a.name), a.id)
            if a.kind_code and a.admin_unit and not _ended(a.valid_to, today):
                serving.setdefault((a.kind_code, a.admin_unit), a.id)
        return cls(today, kind_map, {u.code: u for u in units}, agency_map, agency_keys, kind_keys, serving)

    def kind_of_lane(self, lane: str) -> KindEntry | None:
        code = self.kind_keys.get(lookup_key(lane))
        return self.kinds[code] if code is not None else None

    def agency_of_lane(self, lane: str) -> AgencyEntry | None:
        found = self.agency_keys.get(lookup_key(lane))
        return self.agencies[found] if found is not None else None

    def in_force(self, agency: AgencyEntry) -> AgencyEntry:
        """The agency itself, or the successor a dissolved agency handed over to."""
        for _ in range(MAX_SUCCESSORS):
            if agency.successor_id is None or not _ended(agency.valid_to, self.today):
                return agency
            nxt = self.agencies.get(agency.successor_id)
            if nxt is None:
                return agency
            agency = nxt
        return agency

    def unit(self, code: str) -> UnitEntry:
        found = self.units.get(code.strip())
        if found is None:
            raise InvalidInput(f"Không có đơn vị hành chính mã «{code}»")
        return found


def _ended(valid_to: date | None, today: date) -> bool:
    return valid_to is not None and valid_to <= today


def resolve(directory: Directory, lane: str, commune: str) -> AgencyEntry:
    """The agency a lane means for a dossier of ``commune`` (a unit code; "" when none is known)."""
    agency = directory.agency_of_lane(lane)
    kind = directory.kind_of_lane(lane)
    if kind is None:
        if agency is None:
            raise LaneUnresolved(unknown_lane_message(lane, directory))
        return directory.in_force(agency)
    if not commune:
        raise LaneUnresolved(f"Làn «{lane}» là loại cơ quan «{kind.name}»: cần chỉ rõ xã, phường của hồ sơ")
    unit = directory.unit(commune)
    target: str | None = unit.code
    if kind.level == "province" and unit.level == "commune":
        target = unit.parent_code
    elif kind.level != unit.level:
        target = None
    found = directory.serving.get((kind.code, target)) if target else None
    if found is None:
        raise LaneUnresolved(f"{unit.name} (mã {unit.code}) chưa có cơ quan loại «{kind.name}» "
                             f"đang hoạt động")
    return directory.in_force(directory.agencies[found])


def check_reception(directory: Directory, lanes: Sequence[str], commune: str) -> None:
    """Refuse, at reception, a dossier whose commune lacks an agency for one of the lanes."""
    if commune:
        unit = directory.unit(commune)
        if _ended(unit.valid_to, directory.today):
            successor = directory.units.get(unit.successor_code or "")
            after = f", nay là {successor.name} (mã {successor.code})" if successor else ""
            raise InvalidInput(f"{unit.name} (mã {unit.code}) không còn là đơn vị hành chính{after}")
    problems: list[str] = []
    for lane in dict.fromkeys(lanes):
        try:
            resolve(directory, lane, commune)
        except LaneUnresolved as exc:
            problems.append(str(exc))
    if problems:
        raise LaneUnresolved("Không tiếp nhận được hồ sơ: " + "; ".join(problems))


def closest(lane: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidate names closest to a lane name (case and spacing ignored)."""
    by_key: dict[str, str] = {}
    for name in candidates:
        by_key.setdefault(lookup_key(name), name)
    keys = difflib.get_close_matches(lookup_key(lane), list(by_key), n=n, cutoff=0.5)
    return [by_key[k] for k in keys]


def unknown_lane_message(lane: str, directory: Directory) -> str:
    names = [k.name for k in directory.kinds.values()] + [a.name for a in directory.agencies.values()]
    near = closest(lane, names)
    hint = f"; gần nhất: {', '.join(f'«{n}»' for n in near)}" if near else ""
    return f"Làn «{lane}» không ứng với cơ quan hay loại cơ quan nào{hint}"


def load_directory(session: Session, today: date) -> Directory:
    """The directory as the database holds it (three small reads)."""
    kinds = [KindEntry(k.code, k.name, k.level, k.public_name or "")
             for k in session.scalars(select(models.AgencyKind))]
    units = [UnitEntry(u.code, u.name, u.level, u.parent_code, u.valid_to, u.successor_code)
             for u in session.scalars(select(models.AdminUnit))]
    agencies = [AgencyEntry(a.id, a.code, a.name, a.kind_code, a.admin_unit, a.valid_to, a.successor_id)
                for a in session.scalars(select(models.Agency))]
    return Directory.build(today, kinds, units, agencies)


def lane_labels(directory: Directory, lane_names: Iterable[str], commune: str = "") -> dict[str, str]:
    """What each lane shows: the agency once a dossier's commune is known; before that (the public
    procedure page) a kind lane shows the kind as citizens read it, "UBND cấp xã nơi cư trú"."""
    out: dict[str, str] = {}
    for lane in lane_names:
        kind = directory.kind_of_lane(lane)
        try:
            if kind is not None and not commune:
                out[lane] = kind.shown
            else:
                out[lane] = resolve(directory, lane, commune).name
        except InvalidInput:
            if kind is not None:
                out[lane] = kind.shown
    return out


def agencies_of(directory: Directory, code: str) -> list[AgencyEntry]:
    """The agency with this code, or every agency in force of the kind with this code (by name)."""
    if code in directory.kinds:
        found = {directory.serving[key] for key in directory.serving if key[0] == code}
        return sorted((directory.agencies[i] for i in found), key=lambda a: lookup_key(a.name))
    return [a for a in directory.agencies.values() if a.code == code]

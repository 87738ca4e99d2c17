"""Administrative units (provinces, communes/wards) and agency kinds: add, import, list.

A units CSV has the header ``code,name,level,parent_code`` (lines starting with ``#`` are
comments). Importing is all or nothing: every bad row is reported, one line each, and then
nothing is written; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.accounts import lookup_key
from engine.errors import Conflict, InvalidInput, NotFound

UNIT_LEVELS = ("province", "commune")
CSV_COLUMNS = ("code", "name", "level", "parent_code")
#: An import file is at most this big and this long (the whole country has about 3,400 units).
MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_ROWS = 20_000
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None


@dataclass(frozen=True)
class KindInfo:
    code: str
    name: str
    level: str
    public_name: str


def unit_search_key(text: str) -> str:
    """Accent-free, case-free key for finding a unit by name ("lien huong" finds "xã Liên Hương")."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split()).casefold()


def _info(u: models.AdminUnit) -> UnitInfo:
    return UnitInfo(u.code, u.name, u.level, u.parent_code, u.valid_from, u.valid_to, u.successor_code)


def _check_unit(code: str, name: str, level: str, parent: str | None, known: dict[str, str]) -> list[str]:
    """Problems of one unit; ``known`` maps the codes in force so far to their levels."""
    problems = []
    if not _CODE_RE.match(code):
        problems.append(f"mã không hợp lệ «{code}» (chữ, số, . _ -)")
    if not name.strip():
        problems.append("tên trống")
    elif len(name) > 255:
        problems.append("tên dài quá 255 ký tự")
    if level not in UNIT_LEVELS:
        problems.append(f"cấp «{level}» không hợp lệ; dùng {' hoặc '.join(UNIT_LEVELS)}")
    elif level == "province" and parent:
        problems.append("đơn vị cấp tỉnh không có đơn vị cấp trên")
    elif level == "commune":
        if not parent:
            problems.append("xã, phường cần mã tỉnh cấp trên (parent_code)")
        elif known.get(parent) != "province":
            problems.append(f"không có tỉnh mã «{parent}»")
    return problems


def add_unit(session: Session, code: str, name: str, level: str, parent: str | None = None, *,
             valid_from: date | None = None) -> UnitInfo:
    """Add a unit, or update its name and parent when the code exists (idempotent)."""
    code, name, parent = code.strip(), " ".join(name.split()), (parent or "").strip() or None
    known = {u.code: u.level for u in session.scalars(select(models.AdminUnit))}
    problems = _check_unit(code, name, level, parent, known)
    if problems:
        raise InvalidInput(f"Đơn vị {code}: " + "; ".join(problems))
    return _put_unit(session, code, name, level, parent, valid_from)


def _put_unit(session: Session, code: str, name: str, level: str, parent: str | None,
              valid_from: date | None) -> UnitInfo:
    row = session.get(models.AdminUnit, code)
    if row is None:
        row = models.AdminUnit(code=code, valid_from=valid_from)
        session.add(row)
    elif row.level != level:
        raise Conflict(f"Đơn vị {code} đã có cấp {row.level}, không đổi được thành {level}")
    row.name, row.level, row.parent_code, row.search_key = name, level, parent, unit_search_key(name)
    session.flush()
    return _info(row)


def import_units(session: Session, text: str, *, valid_from: date | None = None) -> tuple[int, int]:
    """Import a units CSV; returns (added, updated). Any bad row: InvalidInput listing all, nothing written."""
    rows, problems = _parse(text)
    known = {u.code: u.level for u in session.scalars(select(models.AdminUnit))}
    seen: set[str] = set()
    provinces = {code for (code, _, level, _), _n in rows if level == "province"}
    in_force = {**known, **dict.fromkeys(provinces, "province")}
    for (code, name, level, parent), number in rows:
        found = _check_unit(code, name, level, parent, in_force)
        if code in seen:
            found.append(f"mã «{code}» lặp lại trong tệp")
        seen.add(code)
        if code in known and known[code] != level:
            found.append(f"đơn vị {code} đã có cấp {known[code]}")
        problems.extend(f"dòng {number}: {p}" for p in found)
    if problems:
        problems.sort(key=lambda p: int(p.split(":", 1)[0].removeprefix("dòng ")) if p.startswith("dòng ") else 0)
        raise InvalidInput("Tệp đơn vị hành chính có lỗi, chưa nhập dòng nào:\n" + "\n".join(problems))
    added = updated = 0
    for (code, name, level, parent), _number in sorted(rows, key=lambda r: r[0][2] != "province"):
        row = session.get(models.AdminUnit, code)
        if row is None:
            added += 1
        elif (row.name, row.parent_code) != (name, parent):
            updated += 1
        _put_unit(session, code, name, level, parent, valid_from)
    return added, updated


def _parse(text: str) -> tuple[list[tuple[tuple[str, str, str, str | None], int]], list[str]]:
    """Rows of a units CSV with their line numbers, and the file-level problems."""
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        return [], [f"tệp lớn quá {MAX_IMPORT_BYTES // 1_000_000} MB"]
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return [], ["tệp trống: cần dòng tiêu đề code,name,level,parent_code"]
    if len(numbered) > MAX_IMPORT_ROWS + 1:
        return [], [f"tệp có quá {MAX_IMPORT_ROWS} dòng"]
    rows: list[tuple[tuple[str, str, str, str | None], int]] = []
    problems: list[str] = []
    for index, (number, line) in enumerate(numbered):
        try:
            record = next(csv.reader([line]))
        except csv.Error as exc:
            problems.append(f"dòng {number}: CSV không hợp lệ ({exc})")
            continue
        cells = [c.strip().lstrip("\ufeff") for c in record]
        if index == 0:
            if tuple(cells) != CSV_COLUMNS:
                return [], [f"dòng {number}: tiêu đề phải là {','.join(CSV_COLUMNS)} (gặp {','.join(cells)})"]
            continue
        if len(cells) != len(CSV_COLUMNS):
            problems.append(f"dòng {number}: cần {len(CSV_COLUMNS)} cột, gặp {len(cells)}")
            continue
        code, name, level, parent = cells
        rows.append(((code, " ".join(name.split()), level, parent or None), number))
    return rows, problems


def list_units(session: Session, *, search: str = "", level: str | None = None, limit: int = 5000) -> list[UnitInfo]:
    """Units by code; ``search`` keeps those whose name contains the words (accents ignored)."""
    stmt = select(models.AdminUnit).order_by(models.AdminUnit.code).limit(max(1, min(limit, 5000)))
    if search.strip():
        stmt = stmt.where(models.AdminUnit.search_key.contains(unit_search_key(search)[:100]))
    if level:
        stmt = stmt.where(models.AdminUnit.level == level)
    return [_info(u) for u in session.scalars(stmt)]


def get_unit(session: Session, code: str) -> UnitInfo:
    row = session.get(models.AdminUnit, code.strip())
    if row is None:
        raise NotFound(f"Không có đơn vị hành chính mã «{code}»")
    return _info(row)


# --------------------------------------------------------------------------- kinds


def add_kind(session: Session, code: str, name: str, *, level: str = "commune", public_name: str = "",
             update: bool = False) -> KindInfo:
    """Add an agency kind (``update`` refreshes an existing one). Its code and name bind lanes, so
    they may be neither another kind's nor an agency's."""
    code, name = code.strip(), " ".join(name.split())
    if not _CODE_RE.match(code):
        raise InvalidInput(f"Mã loại cơ quan không hợp lệ: «{code}» (chữ, số, . _ -)")
    if not name:
        raise InvalidInput("Tên loại cơ quan không được trống")
    if level not in UNIT_LEVELS:
        raise InvalidInput(f"Cấp không hợp lệ: {level}; dùng {' hoặc '.join(UNIT_LEVELS)}")
    row = session.get(models.AgencyKind, code)
    if row is not None and not update:
        raise Conflict(f"Loại cơ quan {code!r} đã có")
    others = [k for k in session.scalars(select(models.AgencyKind)) if k.code != code]
    agency_keys = {key for a in session.scalars(select(models.Agency)) for key in (a.lookup_key, lookup_key(a.code))}
    for text in dict.fromkeys((code, name)):
        key = lookup_key(text)
        clash = next((k for k in others if key in (k.lookup_key, lookup_key(k.code))), None)
        if clash is not None:
            raise Conflict(f"«{text}» trùng với loại cơ quan {clash.code}")
        if key in agency_keys:
            raise Conflict(f"«{text}» đã là tên hoặc mã một cơ quan: làn mang tên này sẽ không phân biệt được")
    if row is None:
        row = models.AgencyKind(code=code)
        session.add(row)
    row.name, row.lookup_key, row.level, row.public_name = name, lookup_key(name), level, public_name.strip()
    session.flush()
    return KindInfo(row.code, row.name, row.level, row.public_name)


def list_kinds(session: Session) -> list[KindInfo]:
    return [KindInfo(k.code, k.name, k.level, k.public_name or "")
            for k in session.scalars(select(models.AgencyKind).order_by(models.AgencyKind.code))]


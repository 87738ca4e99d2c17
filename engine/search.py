"""Dossier search for clerks, leaders and admins: by code, applicant name, ID number, procedure,
status and date of receipt, limited to the dossiers the official may see (the agency's rows in dossier_agencies).

The name is matched diacritics-free on ``dossiers.applicant_search`` ("nguyen van an" finds
"Nguyễn Văn An") as a prefix of the whole name, which an index serves: on PostgreSQL a
``varchar_pattern_ops`` index answers ``LIKE 'x%'``; on SQLite a binary-ordered range does.
Results come newest first, a page at a time; there is no total count (it would read every match
of a loose query on a million dossiers), only whether a next page exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import models, queries
from engine.accounts import Actor
from engine.applicants import search_key
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput, PermissionDenied
from engine.statuses import DossierStatus

SEARCH_ROLES = ("clerk", "leader", "admin")
STATUSES = tuple(DossierStatus)
MAX_PER_PAGE = 100
_CODE = re.compile(r"^[0-9A-Za-z.]+-\d{6}-[A-Za-z]{0,2}\d{4,}$")
_DIGITS = re.compile(r"^\d{6,32}$")


@dataclass(frozen=True)
class SearchQuery:
    """What the official asked for; ``text`` is a code, an ID number or a name, guessed by its shape."""

    text: str = ""
    procedure: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 20

    def kind(self) -> str:
        """How ``text`` is read: 'code', 'id_number', 'name' or '' (no text)."""
        text = self.text.strip()
        if not text:
            return ""
        if _CODE.match(text):
            return "code"
        if _DIGITS.match(text):
            return "id_number"
        return "name"


@dataclass(frozen=True)
class SearchHit:
    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: str
    received_at: datetime
    due_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[SearchHit] = field(default_factory=list)
    has_next: bool = False

    @property
    def page(self) -> int:
        return self.query.page


def _prefix(session: Session, column: Any, key: str) -> Any:
    """``column`` starts with ``key``, in a form the dialect's index serves."""
    if session.get_bind().dialect.name == "postgresql":
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return and_(column >= key, column < key + "\U0010ffff")  # SQLite compares binary: a prefix range


def search(session: Session, actor: Actor, query: SearchQuery, calendar: WorkingCalendar) -> SearchPage:
    """One page of the dossiers matching ``query`` that ``actor`` may see, newest received first."""
    if not actor.has(*SEARCH_ROLES):
        raise PermissionDenied("Chỉ cán bộ một cửa, lãnh đạo và quản trị được tìm hồ sơ")
    if query.status and query.status not in STATUSES:
        raise InvalidInput(f"Trạng thái không hợp lệ: {query.status!r}")
    if query.page < 1 or not 1 <= query.per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"Trang phải từ 1, mỗi trang từ 1 đến {MAX_PER_PAGE} hồ sơ")
    D = models.Dossier
    conditions: list[Any] = []
    text = " ".join(query.text.split())[:255]
    kind = query.kind()
    if kind == "code":
        conditions.append(D.code.in_({text, text.upper()}))
    elif kind == "id_number":
        conditions.append(D.applicant_id_number == text)
    elif kind == "name":
        key = search_key(text)
        if not key:
            return SearchPage(query)
        # An official's agency rows carry the key too (see below); an admin searches every dossier.
        named = D.applicant_search if actor.has("admin") else models.DossierAgency.applicant_search
        conditions.append(_prefix(session, named, key))
    if query.procedure:
        conditions.append(D.procedure_code == query.procedure.strip())
    if query.status:
        conditions.append(D.status == query.status)
    start: datetime | None = None
    end: datetime | None = None
    if query.date_from or query.date_to:
        from engine.stats import period_bounds

        first, last = query.date_from or query.date_to, query.date_to or query.date_from
        assert first is not None and last is not None
        start, end = period_bounds(calendar, first, last)  # refuses from > to
    columns = (D.code, D.procedure_code, models.DefinitionVersion.name, D.applicant_name, D.status,
               D.received_at, D.due_at, D.finished_at)
    received = D.received_at
    if actor.has("admin") or kind in ("code", "id_number"):
        # Everything, or a selective text (code, ID number): start from the text's own index;
        # visibility is then one primary-key probe of dossier_agencies per candidate.
        stmt = select(*columns).order_by(D.received_at.desc(), D.id.desc())
        if not actor.has("admin"):
            conditions.append(queries.visible_condition(actor))
    else:
        # Filters only (status, procedure, dates), or a name: walk the agency's own rows of
        # dossier_agencies, which are the visibility rule. Newest first off
        # ix_dossier_agencies_agency_received, the date range bounding the walk; a name through
        # ix_dossier_agencies_agency_name, which holds the name's key beside the agency, so only
        # this agency's matches are read, however common the name is elsewhere (then sorted).
        DA = models.DossierAgency
        received = DA.received_at
        stmt = (select(*columns).select_from(DA).join(D, D.id == DA.dossier_id)
                .where(DA.agency_id == actor.agency_id)
                .order_by(DA.received_at.desc(), DA.dossier_id.desc()))
    if query.date_from and start is not None:
        conditions.append(received >= start)
    if query.date_to and end is not None:
        conditions.append(received < end)
    stmt = (stmt.join(models.DefinitionVersion, models.DefinitionVersion.id == D.definition_id)
            .where(*conditions)
            .limit(query.per_page + 1).offset((query.page - 1) * query.per_page))
    rows = session.execute(stmt).all()
    hits = [SearchHit(*row) for row in rows[: query.per_page]]
    return SearchPage(query, hits, len(rows) > query.per_page)


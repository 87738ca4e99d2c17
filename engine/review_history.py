"""One procedure's history over a period, read once into arrays: what the review and the what-if measure.

A dossier belongs to the period when it was received in it (local dates, both included). Its steps are
every pass of every step (a step taken twice in a loop is two passes). Instants are epoch seconds; ``-1``
stands for "not yet". Working time is measured with ``WorkingClock`` from a day before the period to
``now``, so every instant of the dossiers counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.db import epoch_seconds, json_array
from engine.errors import InvalidInput, NotFound
from engine.working_clock import Seconds, WorkingClock

NOT_YET = -1
#: Dossiers one review may read; a province's busiest procedure receives about 100,000 a year.
MAX_DOSSIERS = 500_000
#: Statuses of dossiers that ended without a judgement on time (the applicant withdrew).
UNJUDGED = frozenset({"withdrawn"})
FINISHED = frozenset({"completed", "returned", "refused", "withdrawn"})

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class History:
    procedure: str
    name: str
    date_from: date
    date_to: date
    now: int
    seconds_per_day: int
    clock: WorkingClock
    # dossiers (index d)
    codes: list[str]
    statuses: list[str]
    months: list[str]
    limit_days: Floats
    counting: Seconds
    due: Seconds
    finished: Seconds
    supplements: Seconds
    # steps (index s), grouped by dossier in the order they became ready
    step_dossier: Seconds
    step_element: Seconds
    step_agency: Seconds
    step_official: Seconds  # the official who completed the pass (-1: none)
    ready: Seconds
    claimed: Seconds
    completed: Seconds
    step_due: Seconds
    budget_days: Floats
    cancelled: Flags
    elements: list[tuple[str, str]]
    agencies: list[str]

    @property
    def dossiers(self) -> int:
        return len(self.codes)

    def working(self, start: Seconds, end: Seconds) -> Seconds:
        return self.clock.between(start, end)



def period_bounds(calendar: WorkingCalendar, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise InvalidInput("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    if date_from.year < 2000 or date_to.year > 2100:
        raise InvalidInput("Khoảng thời gian phải nằm trong các năm 2000–2100.")
    start = datetime.combine(date_from, datetime.min.time(), tzinfo=calendar.zone)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=calendar.zone)
    return start, end


def load(session: Session, calendar: WorkingCalendar, procedure: str, date_from: date, date_to: date,
         now: datetime) -> History:
    """Read the procedure's dossiers received in the period and all their steps.

    Each column comes back as one JSON array built by the database (``db.json_array``), so a year of a
    busy procedure (hundreds of thousands of steps) is read without a Python object per row and cell.
    The arrays of one query are aggregated over the same rows, so they line up; the order is set here."""
    start, end = period_bounds(calendar, date_from, date_to)
    definition = session.scalars(select(models.DefinitionVersion)
                                 .where(models.DefinitionVersion.procedure_code == procedure)
                                 .order_by(models.DefinitionVersion.version.desc()).limit(1)).first()
    if definition is None:
        raise NotFound(f"Không có thủ tục mã {procedure}.")
    D, V, S, A = models.Dossier, models.DefinitionVersion, models.Step, models.Agency
    received = (D.procedure_code == procedure, D.received_at >= start, D.received_at < end)
    if (session.scalar(select(func.count()).select_from(D).where(*received)) or 0) > MAX_DOSSIERS:
        raise InvalidInput(f"Quá nhiều hồ sơ trong khoảng thời gian (tối đa {MAX_DOSSIERS:,}); "
                           "hãy chọn khoảng ngắn hơn.")

    def epoch(column: Any) -> Any:
        return func.coalesce(epoch_seconds(session, column), NOT_YET)

    d = _arrays(session, select().select_from(D).join(V, V.id == D.definition_id).where(*received), {
        "id": D.id, "code": D.code, "status": D.status, "counting": epoch(D.counting_from), "due": epoch(D.due_at),
        "finished": epoch(D.finished_at), "supplements": D.supplement_count, "legal": V.legal_working_days,
        "reduced": V.reduced_working_days, "received": epoch(D.received_at)})
    s = _arrays(session, select().select_from(S).join(D, D.id == S.dossier_id).where(*received), {
        "id": S.id, "dossier": S.dossier_id, "element": S.element_id, "agency": S.agency_id,
        "ready": epoch(S.ready_at), "claimed": epoch(S.claimed_at), "completed": epoch(S.completed_at),
        "due": epoch(S.due_at), "budget": S.working_days, "cancelled": case((S.state == "cancelled", 1), else_=0),
        "official": func.coalesce(S.completed_by, NOT_YET)})
    by_id = np.argsort(np.array(d["id"], dtype=np.int64), kind="stable")
    d = {key: [values[k] for k in by_id] for key, values in d.items()}
    dossier_ids = np.array(d["id"], dtype=np.int64)
    step_dossier = np.searchsorted(dossier_ids, np.array(s["dossier"], dtype=np.int64))
    ready = _instants(s["ready"])
    order = np.lexsort((np.array(s["id"], dtype=np.int64), ready, step_dossier))
    elements: dict[str, int] = {}
    for element in s["element"]:
        if element not in elements:
            elements[element] = len(elements)
    names = {row.element_id: row.name for row in session.execute(
        select(S.element_id, func.max(S.name).label("name")).join(D, D.id == S.dossier_id).where(*received)
        .group_by(S.element_id))}
    agency_ids, step_agency = np.unique(np.array(s["agency"], dtype=np.int64), return_inverse=True)
    codes = {row.id: row.code for row in session.execute(select(A.id, A.code).where(A.id.in_(agency_ids.tolist())))}

    def ints(values: list[Any]) -> Seconds:
        result: Seconds = np.array(values, dtype=np.int64)[order]
        return result

    clock = WorkingClock(calendar, calendar.localize(start).date() - timedelta(days=1),
                         calendar.localize(max(now, end)).date() + timedelta(days=1))
    return History(
        procedure=procedure, name=definition.name, date_from=date_from, date_to=date_to, now=int(now.timestamp()),
        seconds_per_day=int(calendar.config.seconds_per_day), clock=clock,
        codes=d["code"], statuses=d["status"], months=_months(calendar, d["received"]),
        limit_days=np.array([float(r if r is not None else g) for g, r in zip(d["legal"], d["reduced"], strict=True)],
                            dtype=np.float64),
        counting=_instants(d["counting"]), due=_instants(d["due"]), finished=_instants(d["finished"]),
        supplements=np.array([n or 0 for n in d["supplements"]], dtype=np.int64),
        step_dossier=step_dossier[order], step_element=ints([elements[e] for e in s["element"]]),
        step_agency=step_agency[order], step_official=ints(s["official"]),
        ready=ready[order], claimed=_instants(s["claimed"])[order], completed=_instants(s["completed"])[order],
        step_due=_instants(s["due"])[order],
        budget_days=np.array([float(b or 0) for b in s["budget"]], dtype=np.float64)[order],
        cancelled=np.array(s["cancelled"], dtype=bool)[order], elements=[(e, names[e]) for e in elements],
        agencies=[codes[int(a)] for a in agency_ids])


def _arrays(session: Session, base: Any, columns: dict[str, Any]) -> dict[str, list[Any]]:
    """One query over ``base``'s rows: each column as a list, aligned with the others (one JSON array each)."""
    row = session.execute(base.add_columns(*(json_array(session, c).label(k) for k, c in columns.items()))).one()
    return {key: orjson.loads(text) if text else [] for key, text in zip(columns, row, strict=True)}


def _instants(values: list[int]) -> Seconds:
    return np.array(values, dtype=np.int64)


def _months(calendar: WorkingCalendar, instants: list[int]) -> list[str]:
    """The local month ('2026-03') of each instant, computed once per distinct day."""
    seen: dict[int, str] = {}
    out = []
    for instant in instants:
        day = instant // 86400
        month = seen.get(day)
        if month is None:
            month = seen[day] = calendar.localize(datetime.fromtimestamp(instant, UTC)).strftime("%Y-%m")
        out.append(month)
    return out

"""One procedure's history over a period, read once into arrays: what the review and the what-if measure.

A dossier belongs to the period when it was received in it (local dates, both included). Its steps are
every pass of every step (a step taken twice in a loop is two passes). Instants are epoch seconds; ``-1``
stands for "not yet". Working time is measured with ``WorkingClock`` from a day before the period to
``now``, so every instant of the dossiers counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Connection, case, func, select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.db import epoch_seconds, integer_list, is_sqlite, json_array
from engine.errors import InvalidInput, NotFound
from engine.working_clock import Seconds, WorkingClock

NOT_YET = -1
#: Dossiers one review may read; a province's busiest procedure receives about 100,000 a year.
MAX_DOSSIERS = 500_000
#: Slices of a review's step query read at once on PostgreSQL (one per core of a small database server).
STEP_QUERY_PARTS = 2
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
         now: datetime, step_names: Callable[[int], Mapping[str, str]]) -> History:
    """Read the procedure's dossiers received in the period and all their steps.

    Each column comes back as one aggregate built by the database (``db.json_array``, ``db.integer_list``),
    so a year of a busy procedure (hundreds of thousands of steps) is read without a Python object per row
    and cell. The arrays of one query are aggregated over the same rows, so they line up; the order is set
    here. ``step_names`` gives a definition version's step names by element id (the loaded definitions)."""
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
        "code": D.code, "status": D.status, "supplements": D.supplement_count, "legal": V.legal_working_days,
        "reduced": V.reduced_working_days}, {
        "id": D.id, "counting": epoch(D.counting_from), "due": epoch(D.due_at), "finished": epoch(D.finished_at),
        "received": epoch(D.received_at), "definition": D.definition_id})
    s = _arrays(session, select().select_from(S).join(D, D.id == S.dossier_id).where(*received), {
        "element": S.element_id, "budget": S.working_days}, {
        "id": S.id, "dossier": S.dossier_id, "agency": S.agency_id, "ready": epoch(S.ready_at),
        "claimed": epoch(S.claimed_at), "completed": epoch(S.completed_at), "due": epoch(S.due_at),
        "cancelled": case((S.state == "cancelled", 1), else_=0), "official": func.coalesce(S.completed_by, NOT_YET)},
        parts=1 if is_sqlite(session) else STEP_QUERY_PARTS, part_of=D.id)
    by_id = np.argsort(np.asarray(d["id"], dtype=np.int64), kind="stable")
    d = {key: values[by_id] if isinstance(values, np.ndarray) else [values[k] for k in by_id]
         for key, values in d.items()}
    dossier_ids = np.array(d["id"], dtype=np.int64)
    step_dossier = np.searchsorted(dossier_ids, s["dossier"])
    ready = _instants(s["ready"])
    order = np.lexsort((s["id"], ready, step_dossier))
    # A step of a dossier received after the dossiers were read (another statement) is left out.
    known = (dossier_ids[np.minimum(step_dossier, len(dossier_ids) - 1)] == s["dossier"]) if len(dossier_ids) \
        else np.zeros(len(step_dossier), dtype=bool)
    order = order[known[order]]
    element_ids = [s["element"][i] for i in order.tolist()]
    elements: dict[str, int] = {}
    for element in element_ids:
        if element not in elements:
            elements[element] = len(elements)
    names: dict[str, str] = {}
    for version in sorted(set(d["definition"].tolist()), reverse=True):  # the newest version's name first
        for element, name in step_names(version).items():
            names.setdefault(element, name)
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
        codes=d["code"], statuses=d["status"], months=_months(calendar, d["received"].tolist()),
        limit_days=np.array([float(r if r is not None else g) for g, r in zip(d["legal"], d["reduced"], strict=True)],
                            dtype=np.float64),
        counting=_instants(d["counting"]), due=_instants(d["due"]), finished=_instants(d["finished"]),
        supplements=np.array([n or 0 for n in d["supplements"]], dtype=np.int64),
        step_dossier=step_dossier[order],
        step_element=np.array([elements[e] for e in element_ids], dtype=np.int64),
        step_agency=step_agency[order], step_official=ints(s["official"]),
        ready=ready[order], claimed=_instants(s["claimed"])[order], completed=_instants(s["completed"])[order],
        step_due=_instants(s["due"])[order],
        budget_days=np.array([float(b or 0) for b in s["budget"]], dtype=np.float64)[order],
        cancelled=np.array(s["cancelled"], dtype=bool)[order], elements=[(e, names.get(e, e)) for e in elements],
        agencies=[codes[int(a)] for a in agency_ids])


def _arrays(session: Session, base: Any, columns: dict[str, Any], integers: dict[str, Any], *,
            parts: int = 1, part_of: Any = None) -> dict[str, Any]:
    """One query over ``base``'s rows: each of ``columns`` as a list (a JSON array), each of ``integers``
    (never NULL) as an int64 array (comma-separated text), all aligned with each other.

    With ``parts`` > 1 the rows are read in that many slices (``part_of`` modulo ``parts``), each on its own
    connection at the same time, so the database builds them on as many cores; the slices are put end to
    end (the caller orders the rows)."""
    aggregates = [json_array(session, c).label(k) for k, c in columns.items()]
    aggregates += [integer_list(session, c).label(k) for k, c in integers.items()]
    statement = base.add_columns(*aggregates)
    if parts == 1:
        rows = [session.execute(statement).one()]
    else:
        bound = session.get_bind()
        database = bound.engine if isinstance(bound, Connection) else bound

        def read(k: int) -> Any:
            with database.connect() as conn:
                return conn.execute(statement.where(part_of % parts == k)).one()

        with ThreadPoolExecutor(max_workers=parts) as pool:
            rows = list(pool.map(read, range(parts)))
    out: dict[str, Any] = {}
    for i, key in enumerate([*columns, *integers]):
        texts = [row[i] for row in rows if row[i]]
        if key in integers:
            out[key] = np.concatenate([np.fromstring(t, dtype=np.int64, sep=",") for t in texts]) if texts \
                else np.zeros(0, dtype=np.int64)
        else:
            out[key] = [value for t in texts for value in orjson.loads(t)]
    return out


def _instants(values: list[int] | Seconds) -> Seconds:
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

"""One procedure's history over a period, read once into arrays: what the review and the what-if measure.

A dossier belongs to the period when it was received in it (local dates, both included). Its steps are
every pass of every step (a step taken twice in a loop is two passes). Instants are epoch seconds; ``-1``
stands for "not yet". Working time is measured with ``WorkingClock`` from a day before the period to
``now``, so every instant of the dossiers counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput, NotFound
from engine.working_clock import Seconds, WorkingClock, epoch_seconds

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
    step_official: Seconds
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
    """Read the procedure's dossiers received in the period and all their steps."""
    start, end = period_bounds(calendar, date_from, date_to)
    definition = session.scalars(select(models.DefinitionVersion)
                                 .where(models.DefinitionVersion.procedure_code == procedure)
                                 .order_by(models.DefinitionVersion.version.desc()).limit(1)).first()
    if definition is None:
        raise NotFound(f"Không có thủ tục mã {procedure}.")
    D = models.Dossier
    V = models.DefinitionVersion
    dossier_filter = (D.procedure_code == procedure, D.received_at >= start, D.received_at < end)
    rows = session.execute(
        select(D.id, D.code, D.status, D.counting_from, D.due_at, D.finished_at, D.supplement_count,
               V.legal_working_days, V.reduced_working_days, D.received_at)
        .join(V, V.id == D.definition_id).where(*dossier_filter).order_by(D.id)
        .limit(MAX_DOSSIERS + 1)).all()
    if len(rows) > MAX_DOSSIERS:
        raise InvalidInput(f"Quá nhiều hồ sơ trong khoảng thời gian (tối đa {MAX_DOSSIERS:,}); "
                           "hãy chọn khoảng ngắn hơn.")
    now_s = int(now.timestamp())
    first_day = calendar.localize(start).date() - timedelta(days=1)
    last_day = calendar.localize(max(now, end)).date() + timedelta(days=1)
    clock = WorkingClock(calendar, first_day, last_day)
    index = {row[0]: i for i, row in enumerate(rows)}
    S = models.Step
    A = models.Agency
    step_rows = session.execute(
        select(S.dossier_id, S.element_id, S.name, A.code, S.ready_at, S.claimed_at, S.completed_at, S.due_at,
               S.working_days, S.state, S.completed_by)
        .join(A, A.id == S.agency_id).join(D, D.id == S.dossier_id).where(*dossier_filter)
        .order_by(S.dossier_id, S.ready_at, S.id)).all()
    elements: dict[str, int] = {}
    element_names: list[tuple[str, str]] = []
    agencies: dict[str, int] = {}
    officials: dict[int | None, int] = {None: -1}
    n = len(step_rows)
    step_dossier = np.empty(n, dtype=np.int64)
    step_element = np.empty(n, dtype=np.int64)
    step_agency = np.empty(n, dtype=np.int64)
    step_official = np.empty(n, dtype=np.int64)
    budget = np.empty(n, dtype=np.float64)
    cancelled = np.zeros(n, dtype=bool)
    for i, (dossier_id, element_id, name, agency, *_, working_days, state, completed_by) in enumerate(step_rows):
        step_dossier[i] = index[dossier_id]
        e = elements.get(element_id)
        if e is None:
            e = elements[element_id] = len(element_names)
            element_names.append((element_id, name))
        step_element[i] = e
        step_agency[i] = agencies.setdefault(agency, len(agencies))
        step_official[i] = officials.setdefault(completed_by, len(officials) - 1)
        budget[i] = float(working_days or 0)
        cancelled[i] = state == "cancelled"
    return History(
        procedure=procedure, name=definition.name, date_from=date_from, date_to=date_to, now=now_s,
        seconds_per_day=int(calendar.config.seconds_per_day), clock=clock,
        codes=[r[1] for r in rows], statuses=[r[2] for r in rows],
        months=[calendar.localize(r[9]).strftime("%Y-%m") for r in rows],
        limit_days=np.array([float(Decimal(r[8] if r[8] is not None else r[7])) for r in rows], dtype=np.float64),
        counting=epoch_seconds([r[3] for r in rows], NOT_YET), due=epoch_seconds([r[4] for r in rows], NOT_YET),
        finished=epoch_seconds([r[5] for r in rows], NOT_YET),
        supplements=np.array([r[6] or 0 for r in rows], dtype=np.int64),
        step_dossier=step_dossier, step_element=step_element, step_agency=step_agency, step_official=step_official,
        ready=epoch_seconds([r[4] for r in step_rows], NOT_YET),
        claimed=epoch_seconds([r[5] for r in step_rows], NOT_YET),
        completed=epoch_seconds([r[6] for r in step_rows], NOT_YET),
        step_due=epoch_seconds([r[7] for r in step_rows], NOT_YET),
        budget_days=budget, cancelled=cancelled, elements=element_names, agencies=list(agencies))

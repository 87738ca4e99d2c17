"""Early / on-time / late figures per agency and per procedure over a period (plain SQL, no workflow).

Per agency: the steps it completed in the period by timeliness (judged when the step was
completed, see engine.timeliness), and its open and overdue steps now.

Per procedure (QĐ 766 "progress" and "average handling time"):

- ``received``: dossiers received in the period;
- ``early`` / ``on_time`` / ``late``: dossiers finished in the period, their finish time against
  their due time; a dossier with more than one supplement request counts as late;
- ``open`` / ``overdue``: dossiers not finished now, and those of them past their due time
  (a dossier waiting for the applicant's supplement is open but never overdue);
- ``average_working_days``: mean working time from the start of counting to the finish, over the
  dossiers finished in the period (None when none finished).

A period is given as local calendar dates, both included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput
from engine.queries import OPEN_STATES
from engine.timeliness import timeliness

TIMELINESS = ("early", "on_time", "late")
#: Supplement requests a dossier may have before it counts as late (QĐ 766).
MAX_SUPPLEMENTS_ON_TIME = 1


@dataclass(frozen=True)
class AgencyStats:
    code: str
    name: str
    early: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def completed(self) -> int:
        return self.early + self.on_time + self.late


@dataclass(frozen=True)
class ProcedureStats:
    code: str
    name: str
    received: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    average_working_days: Decimal | None = None

    @property
    def finished(self) -> int:
        return self.early + self.on_time + self.late


@dataclass(frozen=True)
class Stats:
    date_from: date
    date_to: date
    by_agency: list[AgencyStats]
    by_procedure: list[ProcedureStats]


def period_bounds(calendar: WorkingCalendar, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) instants of local dates ``date_from`` to ``date_to`` inclusive."""
    if date_from > date_to:
        raise InvalidInput("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc (from must not be after to)")
    start = datetime.combine(date_from, time(0), tzinfo=calendar.zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=calendar.zone)
    return start, end


def compute(session: Session, calendar: WorkingCalendar, date_from: date, date_to: date,
            now: datetime) -> Stats:
    """The figures of the period ``date_from``–``date_to`` (local dates, inclusive) as seen at ``now``."""
    start, end = period_bounds(calendar, date_from, date_to)
    return Stats(date_from, date_to, _by_agency(session, start, end, now),
                 _by_procedure(session, calendar, start, end, now))


def _by_agency(session: Session, start: datetime, end: datetime, now: datetime) -> list[AgencyStats]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*TIMELINESS, "open", "overdue"), 0))
    done = (select(models.Step.agency_id, models.Step.timeliness, func.count())
            .where(models.Step.state == "completed", models.Step.completed_at >= start,
                   models.Step.completed_at < end)
            .group_by(models.Step.agency_id, models.Step.timeliness))
    for agency_id, kind, n in session.execute(done):
        counts[agency_id][kind if kind in TIMELINESS else "on_time"] += n
    overdue = case((models.Step.due_at < now, 1), else_=0)
    open_now = (select(models.Step.agency_id, func.count(), func.coalesce(func.sum(overdue), 0))
                .where(models.Step.state.in_(OPEN_STATES)).group_by(models.Step.agency_id))
    for agency_id, n_open, n_overdue in session.execute(open_now):
        counts[agency_id]["open"] += n_open
        counts[agency_id]["overdue"] += int(n_overdue)
    if not counts:
        return []
    agencies = session.execute(select(models.Agency.id, models.Agency.code, models.Agency.name)
                               .where(models.Agency.id.in_(list(counts)))).all()
    rows = [AgencyStats(code, name, **counts[aid]) for aid, code, name in agencies]
    return sorted(rows, key=lambda r: r.code)


def _by_procedure(session: Session, calendar: WorkingCalendar, start: datetime, end: datetime,
                  now: datetime) -> list[ProcedureStats]:
    D = models.Dossier
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("received", *TIMELINESS, "open", "overdue"), 0))
    durations: dict[str, list[Decimal]] = defaultdict(list)

    received = (select(D.procedure_code, func.count()).where(D.received_at >= start, D.received_at < end)
                .group_by(D.procedure_code))
    for code, n in session.execute(received):
        counts[code]["received"] += n

    finished = (select(D.procedure_code, D.counting_from, D.finished_at, D.due_at, D.supplement_count)
                .where(D.finished_at.is_not(None), D.finished_at >= start, D.finished_at < end))
    for code, counting_from, finished_at, due_at, supplements in session.execute(finished):
        assert finished_at is not None
        kind = timeliness(finished_at, due_at, calendar) or "on_time"
        if supplements > MAX_SUPPLEMENTS_ON_TIME:
            kind = "late"
        counts[code][kind] += 1
        durations[code].append(calendar.measure(counting_from, finished_at) if finished_at > counting_from
                               else Decimal(0))

    overdue = case(((D.due_at < now) & (D.status != "waiting_supplement"), 1), else_=0)
    open_now = (select(D.procedure_code, func.count(), func.coalesce(func.sum(overdue), 0))
                .where(D.finished_at.is_(None)).group_by(D.procedure_code))
    for code, n_open, n_overdue in session.execute(open_now):
        counts[code]["open"] += n_open
        counts[code]["overdue"] += int(n_overdue)
    if not counts:
        return []

    latest = (select(models.DefinitionVersion.procedure_code, models.DefinitionVersion.name)
              .where(models.DefinitionVersion.procedure_code.in_(list(counts)))
              .order_by(models.DefinitionVersion.version))
    names: dict[str, str] = {}
    for code, name in session.execute(latest):  # later versions overwrite earlier ones
        names[code] = name
    rows = []
    for code, c in counts.items():
        spans = durations.get(code)
        average = (sum(spans, Decimal(0)) / len(spans)).quantize(Decimal("0.01"), ROUND_HALF_UP) if spans else None
        rows.append(ProcedureStats(code, names.get(code, code), average_working_days=average, **c))
    return sorted(rows, key=lambda r: r.code)

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

Digitisation (QĐ 766): of the dossiers received in the period whose procedure lists required
documents, the share whose required documents were all attached as scans at reception (by the
receiving desk, before the dossier left it), per receiving agency and per procedure; and the
online share: of the dossiers received in the period, those received online (an online application
accepted by the desk, ``dossiers.channel = 'online'``), as a percentage of all received.

A period is given as local calendar dates, both included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput
from engine.statuses import OPEN_STATES, DossierStatus, StepState
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
class DigitisationStats:
    """Dossiers received (``received``), those whose procedure lists required documents
    (``with_list``), and of these the ones fully digitised at reception (``digitised``); of the
    received, those received online (``online``)."""

    code: str
    name: str
    received: int = 0
    with_list: int = 0
    digitised: int = 0
    online: int = 0

    @property
    def online_share(self) -> float | None:
        """Percentage of the received dossiers received online (QĐ 766), one decimal; None when none."""
        return _share(self.online, self.received)

    @property
    def share(self) -> float | None:
        """Percentage digitised, one decimal; None when no dossier had a document list."""
        return _share(self.digitised, self.with_list)


@dataclass(frozen=True)
class Stats:
    date_from: date
    date_to: date
    by_agency: list[AgencyStats]
    by_procedure: list[ProcedureStats]
    digitisation_by_agency: list[DigitisationStats] = field(default_factory=list)
    digitisation_by_procedure: list[DigitisationStats] = field(default_factory=list)


#: The dates a period may name (search, statistics, register): wide enough for any dossier, far enough
#: from the calendar's ends that every instant of them is representable in any time zone.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def period_bounds(calendar: WorkingCalendar, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) instants of local dates ``date_from`` to ``date_to`` inclusive."""
    if not (FIRST_DAY <= date_from <= LAST_DAY and FIRST_DAY <= date_to <= LAST_DAY):
        raise InvalidInput(f"Ngày phải nằm trong khoảng {FIRST_DAY.isoformat()} – {LAST_DAY.isoformat()}")
    if date_from > date_to:
        raise InvalidInput("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc")
    start = datetime.combine(date_from, time(0), tzinfo=calendar.zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=calendar.zone)
    return start, end


def compute(session: Session, calendar: WorkingCalendar, date_from: date, date_to: date,
            now: datetime) -> Stats:
    """The figures of the period ``date_from``–``date_to`` (local dates, inclusive) as seen at ``now``."""
    start, end = period_bounds(calendar, date_from, date_to)
    by_agency, by_procedure = _digitisation(session, start, end)
    return Stats(date_from, date_to, _by_agency(session, start, end, now),
                 _by_procedure(session, calendar, start, end, now), by_agency, by_procedure)


def digitisation(session: Session, calendar: WorkingCalendar, date_from: date,
                 date_to: date) -> tuple[list[DigitisationStats], list[DigitisationStats]]:
    """Digitisation at reception of the dossiers received in the period: (per agency, per procedure)."""
    start, end = period_bounds(calendar, date_from, date_to)
    return _digitisation(session, start, end)


def _digitisation(session: Session, start: datetime,
                  end: datetime) -> tuple[list[DigitisationStats], list[DigitisationStats]]:
    from engine.documents import requirements

    D, Doc = models.Dossier, models.Document
    dossiers = session.execute(select(D.id, D.definition_id, D.procedure_code, D.receiving_agency_id, D.channel)
                               .where(D.received_at >= start, D.received_at < end)).all()
    if not dossiers:
        return [], []
    versions = {d.definition_id for d in dossiers}
    required: dict[int, set[str]] = {}
    procedure_names: dict[str, tuple[int, str]] = {}
    for vid, code, version, name, meta in session.execute(
            select(models.DefinitionVersion.id, models.DefinitionVersion.procedure_code,
                   models.DefinitionVersion.version, models.DefinitionVersion.name,
                   models.DefinitionVersion.metadata_json).where(models.DefinitionVersion.id.in_(versions))):
        required[vid] = {r.key for r in requirements(dict(meta or {})) if r.required}
        if version >= procedure_names.get(code, (0, ""))[0]:
            procedure_names[code] = (version, name)
    attached: dict[int, set[str]] = defaultdict(set)
    for dossier_id, key in session.execute(
            select(Doc.dossier_id, Doc.requirement_key).distinct().join(D, D.id == Doc.dossier_id)
            .where(D.received_at >= start, D.received_at < end, Doc.at_reception.is_(True),
                   Doc.requirement_key != "")):
        attached[dossier_id].add(key)
    agencies: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_DIGITISATION, 0))
    procedures: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_DIGITISATION, 0))
    for d in dossiers:
        keys = required.get(d.definition_id, set())
        for counts in (agencies[d.receiving_agency_id], procedures[d.procedure_code]):
            counts["received"] += 1
            counts["online"] += d.channel == "online"
            if keys:
                counts["with_list"] += 1
                counts["digitised"] += keys <= attached.get(d.id, set())
    names: dict[int | None, tuple[str, str]] = {i: (c, n) for i, c, n in session.execute(
        select(models.Agency.id, models.Agency.code, models.Agency.name)
        .where(models.Agency.id.in_([a for a in agencies if a is not None])))}
    by_agency = sorted((DigitisationStats(names.get(aid, ("", ""))[0], names.get(aid, ("", ""))[1], **c)
                        for aid, c in agencies.items()), key=lambda r: r.code)
    by_procedure = sorted((DigitisationStats(code, procedure_names.get(code, (0, code))[1], **c)
                           for code, c in procedures.items()), key=lambda r: r.code)
    return by_agency, by_procedure


_DIGITISATION = ("received", "with_list", "digitised", "online")


def _by_agency(session: Session, start: datetime, end: datetime, now: datetime) -> list[AgencyStats]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*TIMELINESS, "open", "overdue"), 0))
    done = (select(models.Step.agency_id, models.Step.timeliness, func.count())
            .where(models.Step.state == StepState.COMPLETED, models.Step.completed_at >= start,
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

    overdue = case(((D.due_at < now) & (D.status != DossierStatus.WAITING_SUPPLEMENT), 1), else_=0)
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


# ---------------------------------------------------------------------- dossier-level report
#
# The dashboard report: one fact per dossier handled in the period -- received in it, or carried
# over (received earlier and not finished when the period began) -- judged as the period ends
# (or now, for the running period), then rows per agency, per procedure or per month. Rules
# (QĐ 766/QĐ-TTg, "tiến độ giải quyết"; the formulas in FORMULAS and docs/rules.md):
#
# - a finished dossier is judged at its finish against its due time *before* any apology (an
#   apology admits the delay: the dossier still counts late); a dossier marked ``late_by_rule``
#   (more than one supplement request) or with ``supplement_count`` > 1 counts late;
# - a withdrawn dossier is counted apart and judged neither way; an open one is ``overdue`` when
#   past due (never while waiting for the applicant's supplement), else ``open``;
# - handling time = working time from the start of counting to the finish, minus the working
#   time waiting for supplements (under the restart rule counting restarts after them anyway);
# - the agency at fault for a late or overdue dossier is the agency of its first late step
#   (earliest due), else the agency that apologised, else the receiving desk.

RESULTS = ("early", "on_time", "late", "overdue", "open", "withdrawn")
GROUPINGS = ("agency", "procedure", "month")

#: How each figure of the report is computed (QĐ 766/QĐ-TTg of 23/6/2022, progress indicator:
#: dossiers handled or being handled early or on time over all dossiers handled or being handled
#: in the period, new and carried over; the same method as the provinces' one-stop statistics,
#: e.g. Gia Lai: on-time rate = 100 % - (late being handled + late handled) / to be handled).
FORMULAS = {
    "on_time_rate": "(early + on_time + open) / (early + on_time + late + overdue + open) × 100, one decimal; "
                    "over the dossiers received in the period and those carried over from before it; "
                    "an open dossier past its due time (overdue) counts as late, one not yet due as on time; "
                    "withdrawn dossiers are left out; a dossier with more than one supplement request is late",
    "agency.on_time_rate": "(early + on_time + open) / dossiers × 100 over the agency's parts: its part is late "
                           "when one of its steps finished or stands past its due time",
    "received": "dossiers received in the period",
    "carried_over": "dossiers received before the period and not finished when it began",
    "average_working_days": "working time from the start of counting to the finish, less the applicant's "
                            "supplement time, averaged over the dossiers finished in the period",
    "online_share": "online / received × 100, one decimal (QĐ 766): of the dossiers received in the period, "
                    "those received online (an online application accepted by the desk)",
}


@dataclass(frozen=True)
class AgencyPart:
    code: str
    name: str
    result: str
    working_days: Decimal


@dataclass(frozen=True)
class DossierFact:
    """How one dossier fared, with each agency's part."""

    code: str
    procedure_code: str
    procedure_name: str
    month: str
    received_at: datetime
    status: str
    result: str
    handling_working_days: Decimal | None
    late_agency_code: str = ""
    late_agency_name: str = ""
    parts: tuple[AgencyPart, ...] = ()
    #: Received before the period and not finished when it began.
    carried_over: bool = False


def dossier_facts(session: Session, calendar: WorkingCalendar, date_from: date, date_to: date,
                  now: datetime) -> list[DossierFact]:
    """One fact per dossier handled between the local dates ``date_from`` and ``date_to`` (inclusive):
    received in the period or carried over into it, judged as the period ends (``now`` if sooner)."""
    from engine.lifecycle import supplement_intervals

    start, end = period_bounds(calendar, date_from, date_to)
    now = min(now, end - timedelta(microseconds=1))  # judged at the period's last instant, or now
    D = models.Dossier
    carried = (D.received_at < start) & (D.finished_at.is_(None) | (D.finished_at >= start))
    dossiers = session.scalars(select(D).where(((D.received_at >= start) & (D.received_at < end)) | carried)
                               .order_by(D.received_at, D.id)).all()
    if not dossiers:
        return []
    ids = [d.id for d in dossiers]
    agencies = {a.id: (a.code, a.name) for a in session.scalars(select(models.Agency))}
    names = {v.id: v.name for v in session.scalars(select(models.DefinitionVersion))}
    steps: dict[int, list[models.Step]] = defaultdict(list)
    for step in session.scalars(select(models.Step).where(models.Step.dossier_id.in_(ids))
                                .order_by(models.Step.ready_at, models.Step.id)):
        steps[step.dossier_id].append(step)
    apologies = {a.dossier_id: a for a in session.scalars(select(models.Apology)
                                                          .where(models.Apology.dossier_id.in_(ids)))}
    tracking = {t.dossier_id: t for t in session.scalars(select(models.DossierTracking)
                                                         .where(models.DossierTracking.dossier_id.in_(ids)))}
    out = []
    for d in dossiers:
        apology = apologies.get(d.id)
        track = tracking.get(d.id)
        late_by_rule = bool(track and track.late_by_rule) or d.supplement_count > MAX_SUPPLEMENTS_ON_TIME
        handling: Decimal | None = None
        finished = d.finished_at is not None and d.finished_at <= now
        if d.status == DossierStatus.WITHDRAWN and finished:
            result = "withdrawn"
        elif finished and d.finished_at is not None:
            due = apology.original_due_at if apology is not None else d.due_at
            result = "late" if late_by_rule else (timeliness(d.finished_at, due, calendar) or "on_time")
            seconds = calendar.working_seconds(d.counting_from, d.finished_at)
            for asked, back, _rule in supplement_intervals(session, d.id):
                if back is not None and back > d.counting_from:
                    seconds -= calendar.working_seconds(max(asked, d.counting_from), min(back, d.finished_at))
            handling = (Decimal(max(seconds, 0)) / calendar.config.seconds_per_day).quantize(Decimal("0.01"),
                                                                                             ROUND_HALF_UP)
        elif (d.due_at is not None and d.due_at < now and not (d.status == DossierStatus.WAITING_SUPPLEMENT
                                                               and d.finished_at is None)):
            result = "overdue"
        else:
            result = "open"
        parts = _parts(steps[d.id], agencies, calendar, now)
        fault_code = fault_name = ""
        if result in ("late", "overdue"):
            late_steps = sorted((s for s in steps[d.id] if _step_result(s, now) == "late"),
                                key=lambda s: (s.due_at or s.ready_at, s.id))
            agency_id = (late_steps[0].agency_id if late_steps else apology.agency_id if apology is not None
                         else d.receiving_agency_id)
            if agency_id is not None:
                fault_code, fault_name = agencies[agency_id]
        out.append(DossierFact(d.code, d.procedure_code, names.get(d.definition_id, d.procedure_code),
                               calendar.localize(d.received_at).strftime("%Y-%m"), d.received_at, d.status, result,
                               handling, fault_code, fault_name, parts, d.received_at < start))
    return out


def _step_result(step: models.Step, now: datetime) -> str:
    """A step's result as seen at ``now`` (a step completed later was still open then)."""
    if step.ready_at is not None and step.ready_at > now:
        return "cancelled"  # not yet there at ``now``: no part in the period
    if step.state in OPEN_STATES or (step.completed_at is not None and step.completed_at > now):
        if step.step_kind != "supplement" and step.due_at is not None and step.due_at < now:
            return "late"
        return "open"
    if step.state == StepState.COMPLETED:
        return step.timeliness or "on_time"
    return "cancelled"


def _parts(steps: list[models.Step], agencies: dict[int, tuple[str, str]], calendar: WorkingCalendar,
           now: datetime) -> tuple[AgencyPart, ...]:
    by_agency: dict[int, list[models.Step]] = {}
    for s in steps:
        if s.step_kind != "supplement":
            by_agency.setdefault(s.agency_id, []).append(s)
    out = []
    for agency_id, own in by_agency.items():
        results = {_step_result(s, now) for s in own} - {"cancelled"}
        if not results:
            continue
        if "late" in results:
            result = "late"
        elif "open" in results:
            result = "open"
        elif results == {"early"}:
            result = "early"
        else:
            result = "on_time"
        spent = sum((calendar.measure(s.ready_at, s.completed_at) for s in own if s.completed_at is not None),
                    Decimal(0))
        code, name = agencies[agency_id]
        out.append(AgencyPart(code, name, result, spent))
    return tuple(out)


def _share(good: int, judged: int) -> float | None:
    return round(100 * good / judged, 1) if judged else None


def on_time_rate(counts: dict[str, int]) -> float | None:
    """QĐ 766 progress: (early + on_time + open) / (early + on_time + late + overdue + open), percent."""
    good = counts.get("early", 0) + counts.get("on_time", 0) + counts.get("open", 0)
    return _share(good, good + counts.get("late", 0) + counts.get("overdue", 0))


def report(facts: list[DossierFact], by: str = "procedure") -> list[dict[str, object]]:
    """Rows (JSON-ready dicts) per agency, procedure or month: counts, on-time share, average days, late causes."""
    if by not in GROUPINGS:
        raise InvalidInput(f"Nhóm thống kê không hợp lệ: {by!r}; dùng {', '.join(GROUPINGS)}")
    if by == "agency":
        return _report_by_agency(facts)
    groups: dict[tuple[str, str], list[DossierFact]] = defaultdict(list)
    for f in facts:
        group = (f.procedure_code, f.procedure_name) if by == "procedure" else (f.month, f.month)
        groups[group].append(f)
    rows: list[dict[str, object]] = []
    for (key, name), items in sorted(groups.items()):
        c = {r: sum(1 for f in items if f.result == r) for r in RESULTS}
        spans = [f.handling_working_days for f in items if f.handling_working_days is not None]
        causes: dict[str, int] = defaultdict(int)
        for f in items:
            if f.late_agency_code:
                causes[f.late_agency_code] += 1
        carried = sum(1 for f in items if f.carried_over)
        rows.append({by: key, "name": name, "received": len(items) - carried, "carried_over": carried, **c,
                     "on_time_rate": on_time_rate(c),
                     "average_working_days": _average(spans), "late_by_agency": dict(sorted(causes.items()))})
    return rows


def _average(values: list[Decimal]) -> str | None:
    if not values:
        return None
    return str((sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _report_by_agency(facts: list[DossierFact]) -> list[dict[str, object]]:
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("dossiers", "early", "on_time", "late", "open", "caused_late"), 0))
    names: dict[str, str] = {}
    spent: dict[str, list[Decimal]] = defaultdict(list)
    for f in facts:
        for part in f.parts:
            names[part.code] = part.name
            counts[part.code]["dossiers"] += 1
            counts[part.code][part.result] += 1
            if part.result != "open":
                spent[part.code].append(part.working_days)
        if f.late_agency_code:
            names.setdefault(f.late_agency_code, f.late_agency_name)
            counts[f.late_agency_code]["caused_late"] += 1
    out: list[dict[str, object]] = []
    for code in sorted(counts):
        c = counts[code]
        out.append({"agency": code, "name": names[code], **c,
                    "on_time_rate": on_time_rate(c),
                    "average_working_days": _average(spent.get(code, []))})
    return out


def _cell(value: object) -> object:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else value


#: A text cell starting with one of these would be read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    value = _cell(value)
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def to_csv(rows: list[dict[str, object]]) -> str:
    """The rows as CSV text (UTF-8 with a BOM, so spreadsheet programs show Vietnamese correctly).

    Text that would start a formula (names come from diagrams and officials) is prefixed with ``'``.
    """
    import csv
    import io

    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return "\ufeff" + buffer.getvalue()

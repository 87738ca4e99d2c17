"""Read-only summaries for the leaders' dashboard and the designers' version list (plain SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import models, queries
from engine.runtime import Engine
from engine.statuses import StepState
from engine.views import StepView

#: The dashboard shows an agency's open steps whoever in it does them.
ALL_ROLES = {"b_role1": "clerk", "b_role2": "officer", "b_role3": "leader"}

TIMELINESS = ("early", "on_time", "late")


@dataclass(frozen=True)
class Rates:
    """Completed steps by timeliness."""

    early: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        """Early or on time over all judged steps (None when nothing was judged)."""
        return (self.early + self.on_time) / self.total if self.total else None


@dataclass
class AgencyDashboard:
    """One agency's load, its overdue and soon-due steps, and how timely its completed steps were."""

    agency_id: int
    open_by_state: dict[str, int] = field(default_factory=dict)
    open_by_procedure: list[tuple[str, str, int, int]] = field(default_factory=list)  # code, name, ready, claimed
    overdue: list[StepView] = field(default_factory=list)
    due_soon: list[StepView] = field(default_factory=list)
    rates: Rates = field(default_factory=Rates)
    rates_by_procedure: list[tuple[str, str, Rates]] = field(default_factory=list)


@dataclass(frozen=True)
class VersionRow:
    """A version of a procedure, for the designer's list."""

    code: str
    name: str
    version: int
    definition_id: int
    filename: str
    decision_number: str
    decision_date: date | None
    deployed_at: datetime
    deployed_by: str | None
    dossiers: int
    status: str = "published"


def _procedure_names(session: Session) -> dict[str, str]:
    latest: dict[str, tuple[int, str]] = {}
    for code, version, name in session.execute(
            select(models.DefinitionVersion.procedure_code, models.DefinitionVersion.version,
                   models.DefinitionVersion.name)):
        if code not in latest or version > latest[code][0]:
            latest[code] = (version, name)
    return {code: name for code, (_, name) in latest.items()}


def agency_dashboard(engine: Engine, agency_id: int, *, since: datetime | None = None,
                     open_limit: int = 5000) -> AgencyDashboard:
    """The dashboard of one agency; completed steps count from ``since`` (all time when None)."""
    now = engine.now()
    soon = engine.calendar().add(now, days=1)
    out = AgencyDashboard(agency_id)
    with engine.Session() as session:
        names = _procedure_names(session)
        open_steps = queries.inbox(session, agency_id, ALL_ROLES, limit=open_limit)
        stmt = (select(models.Dossier.procedure_code, models.Step.timeliness, func.count())
                .join(models.Dossier, models.Dossier.id == models.Step.dossier_id)
                .where(models.Step.agency_id == agency_id, models.Step.state == StepState.COMPLETED,
                       models.Step.timeliness.in_(TIMELINESS))
                .group_by(models.Dossier.procedure_code, models.Step.timeliness))
        if since is not None:
            stmt = stmt.where(models.Step.completed_at >= since)
        counted = session.execute(stmt).all()
    by_state: dict[str, int] = {StepState.READY: 0, StepState.CLAIMED: 0}
    by_procedure: dict[str, list[int]] = {}
    for step in open_steps:
        by_state[step.state] = by_state.get(step.state, 0) + 1
        counts = by_procedure.setdefault(step.procedure_code, [0, 0])
        counts[0 if step.state == StepState.READY else 1] += 1
        if step.due_at is not None and step.due_at < now:
            out.overdue.append(step)
        elif step.due_at is not None and step.due_at <= soon:
            out.due_soon.append(step)
    out.open_by_state = by_state
    out.open_by_procedure = [(code, names.get(code, code), r, c) for code, (r, c) in sorted(by_procedure.items())]
    totals = dict.fromkeys(TIMELINESS, 0)
    per: dict[str, dict[str, int]] = {}
    for code, kind, count in counted:
        if kind not in totals:
            continue
        totals[kind] += count
        per.setdefault(code, dict.fromkeys(TIMELINESS, 0))[kind] += count
    out.rates = Rates(**totals)
    out.rates_by_procedure = [(code, names.get(code, code), Rates(**c)) for code, c in sorted(per.items())]
    return out


def definition_versions(engine: Engine) -> list[VersionRow]:
    """Every version of every procedure (submitted, published, sent back, retired), newest first within one."""
    counts = (select(models.Dossier.definition_id, func.count().label("n"))
              .group_by(models.Dossier.definition_id).subquery())
    stmt = (select(models.DefinitionVersion, models.Official.full_name, counts.c.n)
            .outerjoin(models.Official, models.Official.id == models.DefinitionVersion.deployed_by)
            .outerjoin(counts, counts.c.definition_id == models.DefinitionVersion.id)
            .order_by(models.DefinitionVersion.procedure_code, models.DefinitionVersion.version.desc()))
    with engine.Session() as session:
        return [VersionRow(r.procedure_code, r.name, r.version, r.id, r.filename, r.decision_number or "",
                           r.decision_date, r.deployed_at, who, n or 0, r.status)
                for r, who, n in session.execute(stmt)]

"""Plain dataclasses the engine hands to the web layer: no SpiffWorkflow, no SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.forms import FieldSpec
from engine.statuses import FINISHED_STATUSES, OPEN_STATES


@dataclass(frozen=True)
class StepView:
    """A human step of a dossier as inboxes and dossier pages show it."""

    id: int
    dossier_id: int
    dossier_code: str
    procedure_code: str
    element_id: str
    name: str
    agency_id: int
    agency_code: str
    agency_name: str
    state: str
    step_kind: str
    working_days: Decimal
    ready_at: datetime
    due_at: datetime | None
    assignee_id: int | None = None
    assignee_name: str | None = None
    assignee_username: str | None = None
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: int | None = None
    completed_by_name: str | None = None
    completed_by_username: str | None = None
    timeliness: str | None = None
    note: str = ""
    form_data: dict[str, Any] | None = None
    applicant_name: str = ""
    role: str = ""  # clerk, officer or leader (camunda:candidateGroups); "" = any handling role

    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open() and self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class EventView:
    """One entry of a dossier's history."""

    id: int
    action: str
    at: datetime
    actor_id: int | None
    actor_name: str | None
    step_id: int | None
    details: dict[str, Any]
    actor_username: str | None = None


@dataclass(frozen=True)
class DossierView:
    """A dossier with its steps and history."""

    id: int
    code: str
    procedure_code: str
    procedure_name: str
    definition_id: int
    definition_version: int
    status: str
    outcome: str
    applicant: dict[str, str]
    data: dict[str, Any]
    received_at: datetime
    counting_from: datetime
    due_at: datetime | None
    original_due_at: datetime | None
    finished_at: datetime | None
    receiving_agency_code: str
    receiving_agency_name: str
    steps: list[StepView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    supplement_count: int = 0
    apology_count: int = 0
    paused_at: datetime | None = None
    #: The commune/ward (administrative unit code) the dossier concerns; lanes naming kinds resolve by it.
    commune_code: str = ""
    #: Why the workflow cannot go on by itself (a bounded loop ran out); empty when all is well.
    incident: str = ""

    @property
    def open_steps(self) -> list[StepView]:
        return [s for s in self.steps if s.is_open()]

    @property
    def current_agencies(self) -> list[str]:
        seen: list[str] = []
        for s in self.open_steps:
            if s.agency_name not in seen:
                seen.append(s.agency_name)
        return seen

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class StepForm:
    """What a step page needs to render the step's form."""

    step: StepView
    fields: tuple[FieldSpec, ...]
    documentation: str = ""
    result: str = ""


@dataclass(frozen=True)
class ProcedureSummary:
    """The latest published version of a procedure."""

    code: str
    name: str
    version: int
    definition_id: int
    legal_working_days: Decimal
    reduced_working_days: Decimal | None
    deployed_at: datetime
    decision_number: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    decision_date: date | None = None


@dataclass(frozen=True)
class DeployResult:
    code: str
    version: int
    definition_id: int
    created: bool

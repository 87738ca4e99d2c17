"""A procedure change is approved before it runs.

A version's life: submitted (by a designer) → published (approved by a leader of the owning agency,
with the approving decision's number and date) or sent_back (with a reason; the designer edits and
submits again) → retired (when a newer version is published). Only the published version receives
dossiers; dossiers already received keep running on the version they started on.

The owning agency (cơ quan chủ quản) is the process's ``owner_agency`` property (an agency code).
``Engine.deploy`` stays the administrator's direct way: it publishes at once.

Before approving, the leader reads :func:`change_summary`: steps added, removed, moved between
agencies, budgets changed, and the path totals of both versions against the legal and reduced limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import accounts, events, models
from engine.accounts import Actor
from engine.bpmn_model import Process, read_bpmn
from engine.definitions import choose_process
from engine.errors import Conflict, DefinitionError, InvalidInput, NotFound, PermissionDenied
from engine.paths import enumerate_paths, main_path
from engine.problems import error
from engine.steptable import step_rows
from engine.validation import AgencyRef, validate_bpmn
from engine.views import DeployResult

if TYPE_CHECKING:
    from engine.runtime import Engine

SUBMITTED = "submitted"
PUBLISHED = "published"
SENT_BACK = "sent_back"
RETIRED = "retired"
STATUSES = (SUBMITTED, PUBLISHED, SENT_BACK, RETIRED)
OWNER_PROPERTY = "owner_agency"
MAX_DECISION = 128
MAX_REASON = 1000


def _log(engine: Engine, session: Session, action: str, actor: Actor, row: models.DefinitionVersion,
         **details: str) -> None:
    events.record(session, action, engine.now(), actor_id=actor.id,
                  details={"procedure": row.procedure_code, "version": row.version, **details})


def retire_older(session: Session, row: models.DefinitionVersion) -> None:
    """``row`` is now in force: every other published version of its procedure is retired."""
    session.execute(update(models.DefinitionVersion).where(
        models.DefinitionVersion.procedure_code == row.procedure_code,
        models.DefinitionVersion.id != row.id,
        models.DefinitionVersion.status == PUBLISHED).values(status=RETIRED))


def owner_agency(bpmn: bytes) -> str:
    """The code of the agency whose leaders approve this diagram ('' when the diagram names none)."""
    return choose_process(read_bpmn(bpmn)).properties.get(OWNER_PROPERTY, "").strip()


def submit(engine: Engine, data: bytes, *, actor: Actor, filename: str = "",
           metadata: Mapping[str, Any] | None = None) -> DeployResult:
    """A designer submits a diagram for approval: a new version, not receivable until approved.

    The diagram must pass the validator and name its owning agency. Submitting a file identical to a
    version that was sent back submits that version again; identical to any other version, it is a
    conflict (the version already exists)."""
    if not actor.has("designer"):
        raise PermissionDenied("Chỉ cán bộ thiết kế quy trình được gửi duyệt quy trình")
    try:
        owner = owner_agency(data)
    except Exception:  # unreadable: the validator says why, line by line
        owner = ""
    with engine.Session() as session:
        agencies = [AgencyRef(a.code, a.name) for a in session.scalars(select(models.Agency))]
    if owner not in {a.code for a in agencies}:
        problems = [p for p in validate_bpmn(data, agencies, file=filename) if p.is_error]
        raise DefinitionError([*problems, error(
            f"Quy trình phải ghi cơ quan chủ quản (owner_agency) là mã một cơ quan trong danh mục"
            f"{f', không phải «{owner}»' if owner else ''}: lãnh đạo cơ quan đó phê duyệt quy trình")])
    result = engine.deploy(data, filename=filename, actor=actor, status=SUBMITTED, metadata=metadata)
    if result.created:
        return result
    with engine.transaction() as session:
        row = session.get(models.DefinitionVersion, result.definition_id)
        assert row is not None
        if row.status != SENT_BACK:
            raise Conflict(f"Tệp này đã có: thủ tục {row.procedure_code}, phiên bản {row.version} ({row.status})")
        row.status, row.submitted_by, row.deployed_at = SUBMITTED, actor.id, engine.now()
        _log(engine, session, "definition.submitted", actor, row)
    return DeployResult(result.code, result.version, result.definition_id, True)


def _submitted_row(session: Session, code: str, version: int) -> models.DefinitionVersion:
    row = session.scalar(select(models.DefinitionVersion).where(
        models.DefinitionVersion.procedure_code == code, models.DefinitionVersion.version == version)
        .with_for_update())
    if row is None:
        raise NotFound(f"Không có phiên bản {version} của thủ tục {code!r}")
    if row.status != SUBMITTED:
        raise Conflict(f"Phiên bản {version} của thủ tục {code} không chờ duyệt (trạng thái: {row.status})")
    return row


def _check_reviewer(actor: Actor, row: models.DefinitionVersion) -> None:
    owner = owner_agency(row.bpmn)
    if not actor.has("leader") or actor.agency_code != owner:
        raise PermissionDenied(f"Chỉ lãnh đạo cơ quan chủ quản ({owner}) được phê duyệt hoặc trả lại quy trình này")


def approve(engine: Engine, actor: Actor, code: str, version: int, *, decision_number: str,
            decision_date: date) -> DeployResult:
    """A leader of the owning agency approves a submitted version: it is published and in force."""
    number = " ".join(str(decision_number or "").split())
    if not number or len(number) > MAX_DECISION:
        raise InvalidInput(f"Số quyết định phê duyệt là bắt buộc, tối đa {MAX_DECISION} ký tự")
    if not isinstance(decision_date, date):
        raise InvalidInput("Ngày quyết định phê duyệt là bắt buộc (yyyy-mm-dd)")
    now = engine.now()
    with engine.transaction() as session:
        row = _submitted_row(session, code, version)
        _check_reviewer(actor, row)
        newer = session.scalar(select(models.DefinitionVersion.version).where(
            models.DefinitionVersion.procedure_code == code, models.DefinitionVersion.status == PUBLISHED,
            models.DefinitionVersion.version > version))
        if newer is not None:
            raise Conflict(f"Phiên bản {newer} mới hơn đang có hiệu lực; hãy gửi duyệt lại trên phiên bản đó")
        row.status, row.decision_number, row.decision_date = PUBLISHED, number, decision_date
        row.reviewed_by, row.reviewed_at, row.deployed_at = actor.id, now, now
        retire_older(session, row)
        _log(engine, session, "definition.approved", actor, row,
                                       decision_number=number, decision_date=decision_date.isoformat())
        return DeployResult(row.procedure_code, row.version, row.id, True)


def send_back(engine: Engine, actor: Actor, code: str, version: int, *, reason: str) -> None:
    """A leader of the owning agency returns a submitted version to the designer, saying why."""
    text = " ".join(str(reason or "").split())
    if not text or len(text) > MAX_REASON:
        raise InvalidInput(f"Lý do trả lại là bắt buộc, tối đa {MAX_REASON} ký tự")
    with engine.transaction() as session:
        row = _submitted_row(session, code, version)
        _check_reviewer(actor, row)
        row.status, row.review_note = SENT_BACK, text
        row.reviewed_by, row.reviewed_at = actor.id, engine.now()
        _log(engine, session, "definition.sent_back", actor, row, reason=text)


@dataclass(frozen=True)
class StepChange:
    """One step compared between the version in force and the submitted one."""

    element_id: str
    name: str
    change: str  # added, removed, moved, budget, unchanged
    old_agency: str = ""
    new_agency: str = ""
    old_days: Decimal | None = None
    new_days: Decimal | None = None


@dataclass(frozen=True)
class Totals:
    """A version's main-path and longest-path totals and its limits, in working days."""

    main_path: Decimal
    longest_path: Decimal
    legal: Decimal
    reduced: Decimal | None

    @property
    def over_limit(self) -> bool:
        limit = self.reduced if self.reduced is not None else self.legal
        return self.main_path > limit


@dataclass(frozen=True)
class ChangeSummary:
    code: str
    version: int
    status: str
    name: str
    owner_agency: str
    submitted_by: str
    base_version: int | None
    steps: list[StepChange] = field(default_factory=list)
    new: Totals | None = None
    old: Totals | None = None

    @property
    def changed(self) -> list[StepChange]:
        return [s for s in self.steps if s.change != "unchanged"]


def _agency_of_lanes(session: Session, process: Process) -> dict[str, str]:
    """Lane name → agency name as the registry spells it (the lane's own name when unbound)."""
    out: dict[str, str] = {}
    for lane in process.lanes:
        found = accounts.agency_for_lane(session, lane.name)
        out[lane.name] = found.name if found is not None else lane.name
    return out


StepFacts = dict[str, tuple[str, str, Decimal | None]]  # element id → (name, agency, working days)


def _steps_and_totals(session: Session, row: models.DefinitionVersion) -> tuple[StepFacts, Totals]:
    process = choose_process(read_bpmn(row.bpmn))
    rows = step_rows(process, _agency_of_lanes(session, process))
    report = enumerate_paths(process)
    best = main_path(process, report)
    longest = max((p.budget for p in report.paths), default=Decimal(0))
    totals = Totals(best.budget if best else Decimal(0), longest, Decimal(row.legal_working_days),
                    Decimal(row.reduced_working_days) if row.reduced_working_days is not None else None)
    return {r.element_id: (r.work, r.responsible, r.days) for r in rows}, totals


def change_summary(engine: Engine, code: str, version: int) -> ChangeSummary:
    """What a version changes against the version in force (every step is new for a new procedure)."""
    with engine.Session() as session:
        row = session.scalar(select(models.DefinitionVersion).where(
            models.DefinitionVersion.procedure_code == code, models.DefinitionVersion.version == version))
        if row is None:
            raise NotFound(f"Không có phiên bản {version} của thủ tục {code!r}")
        base = session.scalar(select(models.DefinitionVersion).where(
            models.DefinitionVersion.procedure_code == code, models.DefinitionVersion.status == PUBLISHED,
            models.DefinitionVersion.id != row.id))
        new_steps, new_totals = _steps_and_totals(session, row)
        old_steps, old_totals = _steps_and_totals(session, base) if base is not None else ({}, None)
        who = session.get(models.Official, row.submitted_by) if row.submitted_by else None
        changes: list[StepChange] = []
        for eid, (name, agency, days) in new_steps.items():
            if eid not in old_steps:
                changes.append(StepChange(eid, name, "added", new_agency=agency, new_days=days))
                continue
            _old_name, old_agency, old_days = old_steps[eid]
            kind = "moved" if old_agency != agency else "budget" if old_days != days else "unchanged"
            changes.append(StepChange(eid, name, kind, old_agency, agency, old_days, days))
        changes += [StepChange(eid, name, "removed", old_agency=agency, old_days=days)
                    for eid, (name, agency, days) in old_steps.items() if eid not in new_steps]
        return ChangeSummary(row.procedure_code, row.version, row.status, row.name, owner_agency(row.bpmn),
                             who.full_name if who else "", base.version if base is not None else None,
                             changes, new_totals, old_totals)


def pending(engine: Engine, actor: Actor) -> list[tuple[str, int, str]]:
    """(code, version, name) of the versions waiting for this leader's approval."""
    if not actor.has("leader"):
        return []
    with engine.Session() as session:
        rows = session.scalars(select(models.DefinitionVersion).where(models.DefinitionVersion.status == SUBMITTED)
                               .order_by(models.DefinitionVersion.procedure_code, models.DefinitionVersion.version))
        return [(r.procedure_code, r.version, r.name) for r in rows if owner_agency(r.bpmn) == actor.agency_code]


# ----------------------------------------------------------------------------- drafts of the modeller

MAX_DRAFT = 5 * 1024 * 1024


@dataclass(frozen=True)
class Draft:
    id: int
    procedure_code: str
    name: str
    bpmn: bytes


def save_draft(engine: Engine, actor: Actor, data: bytes, draft_id: int | None = None) -> Draft:
    """Keep a diagram as the designer left it (valid or not); code and name are read when readable."""
    if not actor.has("designer"):
        raise PermissionDenied("Chỉ cán bộ thiết kế quy trình được lưu bản nháp")
    if not data or len(data) > MAX_DRAFT:
        raise InvalidInput("Bản nháp rỗng hoặc quá lớn (tối đa 5 MB)")
    try:
        process = choose_process(read_bpmn(data))
        code, name = process.properties.get("procedure_code", "")[:64], process.name[:500]
    except Exception:  # a draft may be anything the modeller produced; only its bytes are kept
        code, name = "", ""
    with engine.transaction() as session:
        row = session.get(models.ProcedureDraft, draft_id) if draft_id is not None else None
        if draft_id is not None and row is None:
            raise NotFound(f"Không có bản nháp {draft_id}")
        if row is None:
            row = models.ProcedureDraft(bpmn=data, updated_at=engine.now())
            session.add(row)
        row.bpmn, row.procedure_code, row.name = data, code, name
        row.updated_by, row.updated_at = actor.id, engine.now()
        session.flush()
        return Draft(row.id, row.procedure_code, row.name, row.bpmn)


def draft(engine: Engine, draft_id: int) -> Draft:
    with engine.Session() as session:
        row = session.get(models.ProcedureDraft, draft_id)
        if row is None:
            raise NotFound(f"Không có bản nháp {draft_id}")
        return Draft(row.id, row.procedure_code, row.name, row.bpmn)


def drafts(engine: Engine) -> list[Draft]:
    with engine.Session() as session:
        return [Draft(r.id, r.procedure_code, r.name, b"") for r in session.scalars(
            select(models.ProcedureDraft).order_by(models.ProcedureDraft.updated_at.desc()).limit(200))]

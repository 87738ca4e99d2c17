"""Publishing diagrams as procedure versions, and reading the published procedures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import accounts, models
from engine.accounts import Actor
from engine.definitions import Definition, load_definition
from engine.errors import DefinitionError, NotFound, PermissionDenied
from engine.problems import error
from engine.services.unit import Core
from engine.validation import AgencyRef, validate_bpmn
from engine.views import DeployResult, ProcedureSummary


def definition_row(session: Session, code: str, version: int | None = None) -> models.DefinitionVersion:
    """A procedure's version (the latest when ``version`` is None); NotFound when there is none."""
    stmt = select(models.DefinitionVersion).where(models.DefinitionVersion.procedure_code == code)
    if version is not None:
        stmt = stmt.where(models.DefinitionVersion.version == version)
    row = session.scalar(stmt.order_by(models.DefinitionVersion.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"Không có thủ tục {code!r}")
    return row


def summary(r: models.DefinitionVersion) -> ProcedureSummary:
    return ProcedureSummary(
        r.procedure_code, r.name, r.version, r.id, Decimal(r.legal_working_days),
        Decimal(r.reduced_working_days) if r.reduced_working_days is not None else None,
        r.deployed_at, r.decision_number, dict(r.metadata_json or {}))


def json_safe(value: Any) -> Any:
    """TOML metadata (dates, decimals) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Deployment:
    def __init__(self, core: Core) -> None:
        self.core = core

    def definition(self, definition_id: int) -> Definition:
        """The loaded definition version (parsed once per process)."""
        with self.core.read() as session:
            return self.core.definition(session, definition_id)

    def deploy(self, data: bytes, *, filename: str = "", actor: Actor | None = None,
               decision_number: str = "", decision_date: date | None = None,
               metadata: Mapping[str, Any] | None = None) -> DeployResult:
        """Validate and publish a diagram; an unchanged file returns its existing version."""
        if actor is not None and not actor.has("designer", "admin"):
            raise PermissionDenied("Chỉ cán bộ thiết kế quy trình hoặc quản trị được công bố quy trình")
        with self.core.read() as session:
            agencies = [AgencyRef(a.code, a.name) for a in session.scalars(select(models.Agency))]
        problems = [p for p in validate_bpmn(data, agencies, file=filename) if p.is_error]
        if problems:
            raise DefinitionError(problems)
        definition = load_definition(data, filename)
        with self.core.unit() as unit:
            session = unit.session
            for lane in definition.lanes:
                if accounts.agency_for_lane(session, lane) is None:
                    raise DefinitionError([error(f"Làn '{lane}' không gắn với cơ quan nào")])
            existing = session.scalar(select(models.DefinitionVersion).where(
                models.DefinitionVersion.procedure_code == definition.procedure_code,
                models.DefinitionVersion.sha256 == definition.sha256))
            if existing is not None:
                return DeployResult(existing.procedure_code, existing.version, existing.id, False)
            last = session.scalar(select(func.max(models.DefinitionVersion.version)).where(
                models.DefinitionVersion.procedure_code == definition.procedure_code)) or 0
            row = models.DefinitionVersion(
                procedure_code=definition.procedure_code, version=last + 1, name=definition.name,
                process_id=definition.process_id, filename=filename, bpmn=definition.bpmn,
                sha256=definition.sha256, legal_working_days=definition.legal_working_days,
                reduced_working_days=definition.reduced_working_days, metadata_json=json_safe(dict(metadata or {})),
                decision_number=decision_number, decision_date=decision_date,
                deployed_by=actor.id if actor else None, deployed_at=unit.now)
            session.add(row)
            session.flush()
            unit.record("definition.deployed", actor_id=actor.id if actor else None,
                        details={"procedure": row.procedure_code, "version": row.version,
                                 "sha256": row.sha256, "decision_number": decision_number})
            result = DeployResult(row.procedure_code, row.version, row.id, True)
        self.core.remember_definition(result.definition_id, definition)
        return result

    def procedures(self) -> list[ProcedureSummary]:
        """The latest version of every procedure."""
        latest = (select(models.DefinitionVersion.procedure_code,
                         func.max(models.DefinitionVersion.version).label("v"))
                  .group_by(models.DefinitionVersion.procedure_code).subquery())
        stmt = (select(models.DefinitionVersion)
                .join(latest, (latest.c.procedure_code == models.DefinitionVersion.procedure_code)
                      & (latest.c.v == models.DefinitionVersion.version))
                .order_by(models.DefinitionVersion.procedure_code))
        with self.core.read() as session:
            return [summary(r) for r in session.scalars(stmt)]

    def procedure(self, code: str, version: int | None = None) -> ProcedureSummary:
        with self.core.read() as session:
            return summary(definition_row(session, code, version))

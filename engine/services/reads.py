"""What officials and the public read: inboxes, step forms, dossiers, the public look-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import accounts, models, queries
from engine.accounts import Actor
from engine.applicants import mask_name
from engine.errors import NotFound, PermissionDenied
from engine.services.unit import Core
from engine.views import DossierView, StepForm, StepView


class Reads:
    def __init__(self, core: Core) -> None:
        self.core = core

    def inbox(self, actor: Actor, *, procedure: str | None = None, mine: bool = False,
              limit: int = 200, offset: int = 0) -> list[StepView]:
        """Open steps of the official's agency, overdue first (one SQL query, no workflow loaded)."""
        with self.core.read() as session:
            return queries.inbox(session, actor.agency_id, accounts.role_params(actor), procedure=procedure,
                                 mine_only_of=actor.id if mine else None, limit=limit, offset=offset)

    def step_form(self, actor: Actor, step_id: int) -> StepForm:
        """A step with its form fields, for an official of the step's agency."""
        with self.core.read() as session:
            view = queries.step(session, step_id)
            if view is None:
                raise NotFound(f"Không có bước {step_id}")
            if view.agency_id != actor.agency_id and not queries.can_view(session, actor, view.dossier_id):
                raise PermissionDenied("Bước này thuộc cơ quan khác")
            dossier = session.get(models.Dossier, view.dossier_id)
            assert dossier is not None
            spec = self.core.definition(session, dossier.definition_id).steps.get(view.element_id)
        return StepForm(view, spec.fields if spec else (), spec.documentation if spec else "",
                        spec.result if spec else "")

    def dossier(self, code: str, actor: Actor | None = None, *, with_events: bool = True) -> DossierView:
        """A dossier with steps (and history); officials see only dossiers their agency takes part in."""
        with self.core.read() as session:
            row = queries.visible_dossier(session, code, actor)
            return queries.dossier_view(session, row, with_events=with_events)

    def public_lookup(self, code: str) -> dict[str, Any]:
        """What anyone with the dossier code may see: status, agencies now, appointment, masked name."""
        with self.core.read() as session:
            row = session.scalar(select(models.Dossier).where(models.Dossier.code == code.strip()))
            if row is None:
                raise NotFound("Không tìm thấy hồ sơ")
            definition = session.get(models.DefinitionVersion, row.definition_id)
            agencies = queries.current_agency_names(session, [row.id]).get(row.id, [])
            has_result = session.scalar(select(models.Document.id).where(
                models.Document.dossier_id == row.id, models.Document.kind == "signed_result").limit(1)) is not None
            return {"code": row.code, "has_result": has_result, "status": row.status, "procedure": row.procedure_code,
                    "procedure_name": definition.name if definition else "",
                    "current_agencies": agencies, "received_at": row.received_at, "due_at": row.due_at,
                    "finished_at": row.finished_at, "applicant": mask_name(row.applicant_name)}

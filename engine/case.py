"""The case as the officials read it: the reception's values and each completed step's, with labels.

A dossier page and a step page show these entries; a step's form is pre-filled from
:func:`case_values` (engine.forms.prefill), so a figure entered once is never typed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.definitions import Definition
from engine.forms import FieldSpec
from engine.views import DossierView


@dataclass(frozen=True)
class CaseEntry:
    """What one hand entered: the reception or a completed step, its fields and values."""

    title: str
    by: str
    at: datetime | None
    values: tuple[tuple[FieldSpec, Any], ...]
    note: str = ""
    step_id: int | None = None


def case_entries(definition: Definition, dossier: DossierView) -> list[CaseEntry]:
    """The reception first, then every completed step in the order it was completed."""
    received_by = next((e.actor_name or "" for e in dossier.events if e.action == "dossier.received"), "")
    entries = [CaseEntry("Tiếp nhận hồ sơ", received_by, dossier.received_at,
                         tuple((f, dossier.data.get(f.id)) for f in definition.start_fields if f.id in dossier.data))]
    done = sorted((s for s in dossier.steps if s.state == "completed" and s.completed_at is not None),
                  key=lambda s: (s.completed_at, s.id))
    for step in done:
        spec = definition.steps.get(step.element_id)
        data = step.form_data or {}
        fields = spec.fields if spec else ()
        values = tuple((f, data.get(f.id)) for f in fields if f.id in data)
        if values or step.note:
            entries.append(CaseEntry(step.name, step.completed_by_name or "", step.completed_at, values,
                                     step.note, step.id))
    return entries


def case_values(dossier: DossierView) -> dict[str, Any]:
    """Every value entered so far, by field id: the reception's, then each completed step's
    (a later step's value wins)."""
    values: dict[str, Any] = dict(dossier.data or {})
    done = sorted((s for s in dossier.steps if s.state == "completed" and s.completed_at is not None),
                  key=lambda s: (s.completed_at, s.id))
    for step in done:
        values.update(step.form_data or {})
    return values

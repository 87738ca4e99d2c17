"""A form's file fields name documents attached to the same dossier (engine.documents stores them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine import models
from engine.errors import FormInvalid
from engine.forms import FieldSpec, Message


def has_files(fields: Sequence[FieldSpec]) -> bool:
    return any(f.type == "file" for f in fields)


def check_attachments(session: Session | Connection, dossier_id: int, fields: Sequence[FieldSpec],
                      cleaned: Mapping[str, Any]) -> None:
    """Raise FormInvalid for each file field whose value is not a document of this dossier."""
    wanted = {f.id: int(cleaned[f.id]) for f in fields if f.type == "file" and cleaned.get(f.id)}
    if not wanted:
        return
    found = set(session.scalars(select(models.Document.id).where(
        models.Document.dossier_id == dossier_id, models.Document.id.in_(set(wanted.values())))))
    errors = {field: Message("tệp không thuộc hồ sơ này") for field, doc in wanted.items() if doc not in found}
    if errors:
        raise FormInvalid(errors)

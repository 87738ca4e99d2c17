"""The documents a desk received with a dossier (Mẫu 01), kept as one event in the dossier's log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine import models
from engine.accounts import Actor
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.events import record
from engine.runtime import Engine

ACTION = "dossier.documents"
MAX_DOCUMENTS = 50


@dataclass(frozen=True)
class ReceivedDocument:
    """One line of the receipt's document list: its name and how many originals and copies."""

    name: str
    originals: int = 0
    copies: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "originals": self.originals, "copies": self.copies}


def _clean(documents: Sequence[ReceivedDocument]) -> list[ReceivedDocument]:
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"Tối đa {MAX_DOCUMENTS} giấy tờ")
    out = []
    for doc in documents:
        name = " ".join(doc.name.split())[:500]
        if not name:
            continue
        if not (0 <= doc.originals <= 99 and 0 <= doc.copies <= 99):
            raise InvalidInput("Số bản phải từ 0 đến 99")
        out.append(ReceivedDocument(name, doc.originals, doc.copies))
    return out


def record_documents(engine: Engine, actor: Actor, code: str, documents: Sequence[ReceivedDocument]) -> None:
    """Note the documents the desk received with a dossier its agency received."""
    cleaned = _clean(documents)
    with engine.transaction() as session:
        dossier = session.scalar(select(models.Dossier).where(models.Dossier.code == code))
        if dossier is None:
            raise NotFound(f"Không có hồ sơ {code!r}")
        if dossier.receiving_agency_id != actor.agency_id or not actor.has("clerk"):
            raise PermissionDenied("Chỉ bộ phận đã tiếp nhận hồ sơ được ghi giấy tờ")
        record(session, ACTION, engine.now(), dossier_id=dossier.id, actor_id=actor.id,
               details={"documents": [d.as_dict() for d in cleaned]})


def documents_of(engine: Engine, code: str) -> list[ReceivedDocument]:
    """The documents last recorded for a dossier (empty when none were)."""
    with engine.Session() as session:
        details = session.scalar(
            select(models.Event.details).join(models.Dossier, models.Dossier.id == models.Event.dossier_id)
            .where(models.Dossier.code == code, models.Event.action == ACTION)
            .order_by(models.Event.id.desc()).limit(1))
    out = []
    for item in (details or {}).get("documents", []):
        if isinstance(item, dict) and item.get("name"):
            out.append(ReceivedDocument(str(item["name"]), int(item.get("originals") or 0),
                                        int(item.get("copies") or 0)))
    return out

"""Dissolving an agency: its open steps move to the successor; its history stays as it was.

Completed steps, events and receipts keep the dissolved agency (history is never rewritten).
The successor takes part in every dossier the dissolved agency took part in (dossier_agencies),
so those dossiers and their history show under it; lanes naming the dissolved agency resolve to
the successor from the dissolution day (engine.lanes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import models
from engine.errors import Conflict, InvalidInput, NotFound
from engine.lanes import MAX_SUCCESSORS


@dataclass(frozen=True)
class Dissolution:
    code: str
    successor: str
    moved_steps: int
    shared_dossiers: int


def _agency(session: Session, code: str) -> models.Agency:
    row = session.scalar(select(models.Agency).where(models.Agency.code == code.strip()))
    if row is None:
        raise NotFound(f"Không có cơ quan {code!r}")
    return row


def dissolve(session: Session, code: str, successor: str, *, now: datetime, day: datetime | None = None,
             actor_id: int | None = None) -> Dissolution:
    """End an agency today and hand its open steps and dossiers to ``successor``."""
    old, new = _agency(session, code), _agency(session, successor)
    if old.id == new.id:
        raise InvalidInput("Cơ quan kế thừa phải khác cơ quan giải thể")
    if old.valid_to is not None:
        raise Conflict(f"Cơ quan {old.code} đã giải thể từ {old.valid_to:%d/%m/%Y}")
    cur, hops = new, 0
    while cur.successor_id is not None and hops < MAX_SUCCESSORS:
        if cur.successor_id == old.id:
            raise InvalidInput("Quan hệ kế thừa bị lặp vòng")
        nxt = session.get(models.Agency, cur.successor_id)
        if nxt is None:
            break
        cur, hops = nxt, hops + 1
    if new.valid_to is not None:
        raise InvalidInput(f"Cơ quan kế thừa {new.code} đã giải thể")
    old.valid_to = (day or now).date()
    old.successor_id = new.id
    moved = session.execute(
        update(models.Step).where(models.Step.agency_id == old.id, models.Step.state.in_(("ready", "claimed")))
        .values(agency_id=new.id, state="ready", assignee_id=None, claimed_at=None)
        .returning(models.Step.id, models.Step.dossier_id)).all()
    for step_id, dossier_id in moved:
        session.add(models.Event(dossier_id=dossier_id, step_id=step_id, actor_id=actor_id, action="step.moved",
                                 at=now, details={"from": old.code, "to": new.code, "reason": "dissolved"}))
    taken = session.scalars(select(models.DossierAgency).where(models.DossierAgency.agency_id == old.id)).all()
    already = set(session.scalars(select(models.DossierAgency.dossier_id).where(
        models.DossierAgency.agency_id == new.id)))
    shared = 0
    for row in taken:
        if row.dossier_id not in already:
            session.add(models.DossierAgency(dossier_id=row.dossier_id, agency_id=new.id,
                                             received_at=row.received_at, applicant_search=row.applicant_search))
            shared += 1
    session.add(models.Event(actor_id=actor_id, action="agency.dissolved", at=now,
                             details={"agency": old.code, "successor": new.code,
                                      "moved_steps": [s for s, _ in moved], "dossiers": shared}))
    session.flush()
    return Dissolution(old.code, new.code, len(moved), shared)

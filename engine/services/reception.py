"""Reception at the one-stop desk: a complete dossier is received (its code, appointment and first
steps), or an incomplete one gets a written notice (Mẫu 02 supplement, Mẫu 03 refusal)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, func, insert, select

from engine import db, models, queries
from engine.accounts import Actor
from engine.applicants import clean_applicant, search_key
from engine.authorization import Write, authorize_write
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.forms import check_applicant, validate_form
from engine.lifecycle import NOTICE_KINDS, DeskNoticeView, clean_documents, clean_reasons, clean_text, notice_view
from engine.prepared import Prepared
from engine.services.deployment import definition_row
from engine.services.progress import LOOP_INCIDENT, MAX_ENGINE_TASKS, LoopRanOut, Progress
from engine.services.unit import Core, UnitOfWork
from engine.statuses import DossierStatus
from engine.views import DossierView

_SEQUENCES: Any = models.DossierSequence.__table__
_DOSSIERS: Any = models.Dossier.__table__
_DOSSIER_INSERT = Prepared(insert(_DOSSIERS).returning(_DOSSIERS.c.id))
#: The day's next number for an agency's dossier codes: one upsert, unique under concurrency.
_NEXT_NUMBER = Prepared(per_dialect=lambda name: db.insert_for(name)(_SEQUENCES).values(
    agency_code=bindparam("agency"), day=bindparam("day"), last=1).on_conflict_do_update(
    index_elements=["agency_code", "day"], set_={"last": _SEQUENCES.c.last + 1}).returning(_SEQUENCES.c.last))
#: How a dossier reaches the desk (``dossiers.channel``): in person, or an accepted online application.
CHANNELS = ("counter", "online")


class Reception:
    def __init__(self, core: Core, progress: Progress) -> None:
        self.core = core
        self.progress = progress

    def next_code(self, unit: UnitOfWork, agency_code: str) -> str:
        """`<agency code>-<YYMMDD>-<NNNN>` (Circular 01/2018 art. 19), unique under concurrency."""
        day = unit.calendar.localize(unit.now).strftime("%y%m%d")
        seq = _NEXT_NUMBER.execute(unit.conn, {"agency": agency_code, "day": day}).scalar()
        return f"{agency_code}-{day}-{seq:04d}"

    def start_dossier(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any],
                      data: Mapping[str, Any] | None = None, *,
                      with_history: bool | Literal["open"] = True, commune: str | None = None) -> DossierView:
        """Receive a complete dossier at the desk: code, appointment date, first steps.

        ``with_history=False`` leaves the steps and events out of the answer (the API's create
        answers with the code and dates only); ``"open"`` gives only the steps now open.
        ``commune`` (a unit code; default: the desk's unit) is the commune the dossier concerns:
        lanes naming an agency kind resolve by it, and a commune lacking one is refused here."""
        with self.core.unit() as unit:
            return self.receive_in(unit, actor, procedure_code, applicant, data, with_history=with_history,
                                   commune=commune)

    def receive_in(self, unit: UnitOfWork, actor: Actor, procedure_code: str, applicant: Mapping[str, Any],
                   data: Mapping[str, Any] | None = None, *, with_history: bool | Literal["open"] = True,
                   commune: str | None = None, channel: str = "counter") -> DossierView:
        """``start_dossier`` inside the caller's unit of work (an online application accepted with it);
        ``channel`` says how the dossier came: ``counter`` or ``online``."""
        if not actor.has("clerk"):
            raise PermissionDenied("Chỉ cán bộ một cửa được tiếp nhận hồ sơ")
        if channel not in CHANNELS:
            raise InvalidInput(f"Kênh tiếp nhận không hợp lệ: {channel!r}")
        person, wrong = check_applicant(applicant)
        session, now = unit.session, unit.now
        row = definition_row(session, procedure_code)
        definition = self.core.definition(session, row.id)
        cleaned = validate_form(definition.start_fields, data or {}, today=unit.calendar.localize(now).date(),
                                pending=wrong)
        commune_code = self.core.reception_commune(actor.agency_id, commune, definition)
        counting_from = unit.calendar.counting_start(now)
        due = unit.calendar.add(counting_from, days=definition.limit_working_days)
        desk = session.get(models.Agency, actor.agency_id)
        code = self.next_code(unit, (desk.unit_code if desk else "") or actor.agency_code)
        values: dict[str, Any] = {
            "code": code, "definition_id": row.id, "procedure_code": row.procedure_code,
            "status": DossierStatus.RECEIVED, "applicant_name": person["name"],
            "applicant_search": search_key(person["name"]), "applicant_id_number": person["id_number"],
            "applicant_phone": person["phone"], "applicant_email": person["email"],
            "applicant_address": person["address"], "data": cleaned, "receiving_agency_id": actor.agency_id,
            "received_by": actor.id, "received_at": now, "counting_from": counting_from, "due_at": due,
            "original_due_at": due, "finished_at": None, "outcome": "", "supplement_count": 0,
            "lookup_secret": secrets.token_hex(3).upper(), "paused_at": None, "paused_seconds": 0,
            "apology_count": 0, "state_version": 0, "incident": "",
            "commune_code": commune_code, "channel": channel}
        values["id"] = _DOSSIER_INSERT.execute(unit.conn, values, columns=True).scalar()
        dossier = unit.track(values)
        queries.record_participation(session, dossier, actor.agency_id)
        unit.record("dossier.received", dossier_id=dossier.id, actor_id=actor.id,
                    details={"procedure": row.procedure_code, "version": row.version,
                             "due_at": due.isoformat(), "data": cleaned})
        wf = self.progress.new_workflow(definition)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(cleaned)
        incident = ""
        try:
            self.progress.run(wf, definition, None)
        except LoopRanOut:
            incident = LOOP_INCIDENT.format(limit=MAX_ENGINE_TASKS)
        self.progress.settle(unit, dossier, definition, wf, actor.id, new=True, incident=incident)
        return unit.view(dossier, with_history=with_history)

    # ------------------------------------------------------------------ desk notices (Mẫu 02, 03)

    def request_supplement_at_desk(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any], *,
                                   documents: Sequence[Mapping[str, Any]], reason: str, request: str = "",
                                   guidance: Mapping[str, str] | None = None) -> DeskNoticeView:
        """Mẫu 02: explain once, in writing, what an incomplete dossier lacks; nothing is received."""
        return self._desk_notice(actor, "supplement", procedure_code, applicant, request=request,
                                 documents=clean_documents(documents), reasons=clean_reasons(reason),
                                 guidance=guidance)

    def refuse_at_desk(self, actor: Actor, procedure_code: str, applicant: Mapping[str, Any], *,
                       reasons: Sequence[str] | str, request: str = "", dossier_code: str = "") -> DeskNoticeView:
        """Mẫu 03: refuse to receive a dossier, with the specific reasons."""
        return self._desk_notice(actor, "refusal", procedure_code, applicant, request=request, documents=[],
                                 reasons=clean_reasons(reasons), guidance=None, dossier_code=dossier_code)

    def _desk_notice(self, actor: Actor, kind: str, procedure_code: str, applicant: Mapping[str, Any], *,
                     request: str, documents: list[dict[str, Any]], reasons: list[str],
                     guidance: Mapping[str, str] | None, dossier_code: str = "") -> DeskNoticeView:
        with self.core.unit() as unit:
            return self.notice_in(unit, actor, kind, procedure_code, applicant, request=request,
                                  documents=documents, reasons=reasons, guidance=guidance, dossier_code=dossier_code)

    def notice_in(self, unit: UnitOfWork, actor: Actor, kind: str, procedure_code: str,
                  applicant: Mapping[str, Any], *, request: str, documents: list[dict[str, Any]],
                  reasons: list[str], guidance: Mapping[str, str] | None, dossier_code: str = "") -> DeskNoticeView:
        """A desk notice (Mẫu 02 ``supplement``, Mẫu 03 ``refusal``) inside the caller's unit of work
        (documents and reasons already cleaned)."""
        if not actor.has("clerk"):
            raise PermissionDenied("Chỉ cán bộ một cửa được lập phiếu tại bộ phận một cửa")
        person = clean_applicant(applicant)
        request = clean_text(request, "nội dung yêu cầu", required=False)
        session = unit.session
        year = unit.calendar.localize(unit.now).year
        definition = definition_row(session, procedure_code)
        dossier_id = None
        if dossier_code:
            dossier = session.scalar(select(models.Dossier).where(models.Dossier.code == dossier_code))
            if dossier is None:
                raise NotFound(f"Không có hồ sơ {dossier_code!r}")
            authorize_write(session, actor, Write.DESK_PAPERS, dossier=dossier)  # the desk that received it
            dossier_id = dossier.id
        agency = session.scalar(select(models.Agency).where(models.Agency.id == actor.agency_id)
                                .with_for_update())  # serialises numbering per agency
        assert agency is not None
        contacts = dict(agency.contacts or {})
        given = dict(guidance or {})
        guide = {"website": clean_text(given.get("website") or contacts.get("website"), "trang web", 255,
                                       required=False),
                 "official": clean_text(given.get("official") or actor.full_name, "cán bộ hướng dẫn", 255),
                 "phone": clean_text(given.get("phone") or contacts.get("phone") or agency.phone, "điện thoại",
                                     64, required=False)}
        last = session.scalar(select(func.max(models.DeskNotice.number)).where(
            models.DeskNotice.agency_id == actor.agency_id, models.DeskNotice.kind == kind,
            models.DeskNotice.year == year)) or 0
        row = models.DeskNotice(
            kind=kind, agency_id=actor.agency_id, year=year, number=last + 1,
            procedure_code=definition.procedure_code, procedure_name=definition.name, dossier_id=dossier_id,
            applicant_name=person["name"], applicant_id_number=person["id_number"],
            applicant_phone=person["phone"], applicant_email=person["email"],
            applicant_address=person["address"], request=request or definition.name, documents=documents,
            reasons=reasons, guidance=guide if kind == "supplement" else {}, official_id=actor.id,
            created_at=unit.now)
        session.add(row)
        session.flush()
        unit.record("desk.supplement_requested" if kind == "supplement" else "desk.refused",
                    dossier_id=dossier_id, actor_id=actor.id,
                    details={"notice_id": row.id, "number": row.number, "year": year,
                             "procedure": definition.procedure_code})
        return notice_view(session, row)

    def desk_notice(self, notice_id: int, actor: Actor | None = None) -> DeskNoticeView:
        """One desk notice; an official sees only their own agency's."""
        with self.core.read() as session:
            row = session.get(models.DeskNotice, notice_id)
            if row is None or (actor is not None and not actor.has("admin") and row.agency_id != actor.agency_id):
                raise NotFound(f"Không có phiếu {notice_id}")
            return notice_view(session, row)

    def desk_notices(self, actor: Actor, *, kind: str | None = None, year: int | None = None,
                     limit: int = 200) -> list[DeskNoticeView]:
        """The desk notices of the official's agency, newest first."""
        stmt = select(models.DeskNotice).where(models.DeskNotice.agency_id == actor.agency_id)
        if kind is not None:
            if kind not in NOTICE_KINDS:
                raise InvalidInput(f"Loại phiếu không hợp lệ: {kind!r}")
            stmt = stmt.where(models.DeskNotice.kind == kind)
        if year is not None:
            stmt = stmt.where(models.DeskNotice.year == year)
        with self.core.read() as session:
            rows = session.scalars(stmt.order_by(models.DeskNotice.id.desc()).limit(limit)).all()
            return [notice_view(session, r) for r in rows]

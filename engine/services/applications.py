"""Online applications (nộp hồ sơ trực tuyến): a citizen submits the reception form, their particulars,
the commune and a scan of each required document; the desk of the agency that receives it accepts it
(the one reception, ``Reception.receive_in``: a dossier with its receipt, the due time counted from the
acceptance), asks for a supplement (Mẫu 02) or refuses it (Mẫu 03), with the desk notices' rules.

The applicant follows it by its public reference and secret (the secret is stored as its SHA-256 and
compared in constant time; a wrong secret reads as an unknown reference). The desk is resolved once,
at submission, from the procedure's first lane and the commune (``Core.lane_agency``, the lanes'
one resolver). Uploaded files go to the document store by their SHA-256 (``Documents``: the content
is judged as at the desk); an acceptance attaches the newest file of each required document to the
new dossier as scans received at reception.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.accounts import Actor
from engine.application_models import Application, ApplicationDocument
from engine.authorization import Write, authorize_write
from engine.definitions import Definition
from engine.documents import Requirement, requirements, safe_filename
from engine.errors import Conflict, FormInvalid, InvalidInput, LienThongError, NotFound, PermissionDenied
from engine.forms import check_applicant, validate_form
from engine.lifecycle import clean_documents, clean_reasons, clean_text
from engine.reception import first_step
from engine.services.deployment import definition_row
from engine.services.reception import Reception
from engine.services.unit import Core, UnitOfWork
from engine.statuses import ApplicationStatus
from engine.views import DossierView

if TYPE_CHECKING:
    from engine.documents import Documents

#: Files one submission (or re-submission) may carry; each is one required document's scan.
MAX_FILES = 30
#: Letters of a reference: no 0/O, 1/I/L to misread on the phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NOT_FOUND = "Không có hồ sơ trực tuyến với mã và mã bí mật này"


@dataclass(frozen=True)
class Upload:
    """One uploaded file, named by the requirement key it is the scan of."""

    key: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class UploadedDocument:
    id: int
    requirement_key: str
    requirement_name: str
    filename: str
    size: int
    media_type: str
    sha256: str
    uploaded_at: datetime


@dataclass(frozen=True)
class ApplicationView:
    reference: str
    status: str
    procedure_code: str
    procedure_name: str
    applicant: dict[str, str]
    commune_code: str
    data: dict[str, Any]
    receiving_agency_code: str
    receiving_agency_name: str
    reason: str
    #: Names of the documents the desk asked for (supplement request).
    requested: tuple[str, ...]
    documents: tuple[UploadedDocument, ...]
    submitted_at: datetime
    updated_at: datetime
    dossier_code: str
    #: The dossier's receipt secret (lookup and result download), once accepted.
    dossier_secret: str
    notice_id: int | None


@dataclass(frozen=True)
class Submitted:
    """A new application: its reference and the secret shown to the applicant once."""

    reference: str
    secret: str
    application: ApplicationView


def _hash(secret: str) -> str:
    """SHA-256 of the secret as typed, spaces and letter case aside (it is read out and typed by people)."""
    return hashlib.sha256("".join(secret.split()).upper().encode("utf-8")).hexdigest()


def new_secret() -> str:
    """16 letters and digits without ambiguous ones (about 78 random bits), shown to the applicant once."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def new_reference() -> str:
    """``TT-XXXXX-XXXXX``: 50 random bits, read out without ambiguous letters."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"TT-{chars[:5]}-{chars[5:]}"


def first_lane(definition: Definition) -> str:
    """The lane of the procedure's first step (else its first lane): the desk receiving it."""
    spec = first_step(definition)
    if spec is not None and spec.lane:
        return spec.lane
    return definition.lanes[0] if definition.lanes else ""


class Applications:
    def __init__(self, core: Core, reception: Reception) -> None:
        self.core = core
        self.reception = reception

    # ------------------------------------------------------------------ the citizen

    def submit(self, procedure_code: str, applicant: Mapping[str, Any], data: Mapping[str, Any] | None,
               files: Sequence[Upload], documents: Documents, *, commune: str = "") -> Submitted:
        """Check everything (every error at once, FormInvalid), store the files, write the application."""
        commune = clean_text(commune, "xã, phường", 64, required=False)
        with self.core.read() as session:
            row = definition_row(session, procedure_code)
            if (row.metadata_json or {}).get("level") == "internal":
                raise NotFound(f"Không có thủ tục {procedure_code!r}")
            definition = self.core.definition(session, row.id)
            reqs = requirements(dict(row.metadata_json or {}))
        person, errors = check_applicant(applicant)
        if not person.get("email") and not person.get("phone") and "applicant.email" not in errors:
            errors["applicant.email"] = "Cần thư điện tử hoặc số điện thoại để nhận thông báo"
        agency_id = self._desk(definition, commune, errors)
        checked = self._files(files, reqs, documents, errors, needed={r.key for r in reqs if r.required})
        cleaned = validate_form(definition.start_fields, data or {}, today=self.core.calendar().localize(
            self.core.now()).date(), pending=errors)
        if errors:
            raise FormInvalid(errors)
        stored = [(key, name, filename, size, media_type, documents.store.put(body))
                  for key, name, filename, size, media_type, body in checked]
        secret = new_secret()
        with self.core.unit() as unit:
            session = unit.session
            reference = new_reference()
            while session.scalar(select(Application.id).where(Application.reference == reference)) is not None:
                reference = new_reference()
            app = Application(reference=reference, secret_hash=_hash(secret), procedure_code=row.procedure_code,
                              definition_id=row.id, applicant=person, applicant_name=person["name"],
                              commune_code=commune, data=cleaned, status=ApplicationStatus.SUBMITTED,
                              receiving_agency_id=agency_id, reason="", requested=[], submitted_at=unit.now,
                              updated_at=unit.now)
            session.add(app)
            session.flush()
            self._add_documents(session, app, stored, unit.now)
            unit.record("application.submitted", details={"application": app.id, "reference": reference,
                                                          "procedure": row.procedure_code,
                                                          "documents": len(stored)})
            return Submitted(reference, secret, self._view(session, app))

    def resubmit(self, reference: str, secret: str, files: Sequence[Upload], documents: Documents) -> ApplicationView:
        """After a supplement request: the documents asked for; the application goes back to the desk's queue."""
        with self.core.read() as session:
            app = self._by_secret(session, reference, secret)
            if app.status != ApplicationStatus.SUPPLEMENT_REQUESTED:
                raise Conflict("Hồ sơ trực tuyến này không chờ bổ sung")
            version = session.get(models.DefinitionVersion, app.definition_id)
            reqs = requirements(dict(version.metadata_json or {})) if version is not None else []
        if not files:
            raise FormInvalid({"documents": "Hãy tải lên ít nhất một giấy tờ bổ sung"})
        errors: dict[str, str] = {}
        checked = self._files(files, reqs, documents, errors, needed=set())
        if errors:
            raise FormInvalid(errors)
        stored = [(key, name, filename, size, media_type, documents.store.put(body))
                  for key, name, filename, size, media_type, body in checked]
        with self.core.unit() as unit:
            session = unit.session
            app = self._locked(session, reference)
            if app.status != ApplicationStatus.SUPPLEMENT_REQUESTED:
                raise Conflict("Hồ sơ trực tuyến này không chờ bổ sung")
            self._add_documents(session, app, stored, unit.now)
            app.status, app.updated_at = ApplicationStatus.SUBMITTED, unit.now
            unit.record("application.resubmitted", details={"application": app.id, "reference": app.reference,
                                                            "documents": len(stored)})
            session.flush()
            return self._view(session, app)

    def public_application(self, reference: str, secret: str) -> ApplicationView:
        """The application for whoever holds its reference and secret (NotFound otherwise, the same either way)."""
        with self.core.read() as session:
            return self._view(session, self._by_secret(session, reference, secret))

    # ------------------------------------------------------------------ the desk

    def applications(self, actor: Actor, status: str | None = ApplicationStatus.SUBMITTED,
                     limit: int = 200) -> list[ApplicationView]:
        """The desk's queue: the applications its agency receives (oldest first), by status (None: all)."""
        if not actor.has("clerk", "admin"):
            raise PermissionDenied("Chỉ bộ phận một cửa xem được hồ sơ trực tuyến")
        stmt = select(Application)
        if not actor.has("admin"):
            stmt = stmt.where(Application.receiving_agency_id == actor.agency_id)
        if status is not None:
            if status not in set(ApplicationStatus):
                raise InvalidInput(f"Trạng thái không hợp lệ: {status[:40]!r}")
            stmt = stmt.where(Application.status == status)
        with self.core.read() as session:
            rows = session.scalars(stmt.order_by(Application.submitted_at, Application.id).limit(limit)).all()
            return [self._view(session, r) for r in rows]

    def application(self, actor: Actor, reference: str) -> ApplicationView:
        """One application, for the clerks of the desk receiving it (and admins)."""
        with self.core.read() as session:
            app = self._find(session, reference)
            if not actor.has("admin"):
                authorize_write(session, actor, Write.APPLICATION, dossier=app)
            return self._view(session, app)

    def uploaded(self, actor: Actor, reference: str, document_id: int, documents: Documents
                 ) -> tuple[UploadedDocument, bytes]:
        """One uploaded file of an application, for the desk receiving it (to check before accepting)."""
        with self.core.read() as session:
            app = self._find(session, reference)
            if not actor.has("admin"):
                authorize_write(session, actor, Write.APPLICATION, dossier=app)
            row = session.get(ApplicationDocument, document_id)
            if row is None or row.application_id != app.id:
                raise NotFound(f"Không có giấy tờ {document_id}")
            info = _document(row)
        return info, documents.store.get(info.sha256)

    def accept(self, actor: Actor, reference: str) -> DossierView:
        """Receive the application as a dossier (the desk's one reception, channel ``online``)."""
        with self.core.unit() as unit:
            session = unit.session
            app = self._acting(session, actor, reference, ApplicationStatus.SUBMITTED)
            dossier = self.reception.receive_in(unit, actor, app.procedure_code, dict(app.applicant), dict(app.data),
                                                with_history=False, commune=app.commune_code or None,
                                                channel="online")
            for doc in self._latest(session, app.id):
                row = models.Document(dossier_id=dossier.id, step_id=None, kind="scan",
                                      requirement_key=doc.requirement_key, requirement_name=doc.requirement_name,
                                      filename=doc.filename, size=doc.size, media_type=doc.media_type,
                                      sha256=doc.sha256, uploaded_by=actor.id, uploaded_at=unit.now,
                                      at_reception=True)
                session.add(row)
                session.flush()
                unit.record("document.attached", dossier_id=dossier.id, actor_id=actor.id,
                            details={"document": row.id, "kind": "scan", "filename": row.filename,
                                     "requirement": row.requirement_name, "sha256": row.sha256, "online": True})
            app.status, app.dossier_id = ApplicationStatus.ACCEPTED, dossier.id
            app.updated_at, app.decided_by = unit.now, actor.id
            unit.record("application.accepted", dossier_id=dossier.id, actor_id=actor.id,
                        details={"application": app.id, "reference": app.reference})
            session.flush()
            return dossier

    def request_supplement(self, actor: Actor, reference: str, reason: str,
                           documents: Sequence[str] = ()) -> ApplicationView:
        """Mẫu 02 for an online application: what it lacks (``documents``: requirement keys) and why."""
        reasons = clean_reasons(reason)
        if len(documents) > MAX_FILES:
            raise InvalidInput(f"Tối đa {MAX_FILES} giấy tờ")
        with self.core.unit() as unit:
            session = unit.session
            app = self._acting(session, actor, reference, ApplicationStatus.SUBMITTED)
            reqs = {r.key: r for r in self._requirements(session, app)}
            unknown = [k for k in documents if k not in reqs]
            if unknown:
                raise InvalidInput(f"Thủ tục không có giấy tờ {str(unknown[0])[:64]!r}")
            names = [reqs[k].name for k in dict.fromkeys(documents)]
            listed = clean_documents([{"name": n} for n in names] or [{"name": reasons[0][:500]}])
            notice = self.reception.notice_in(unit, actor, "supplement", app.procedure_code, dict(app.applicant),
                                              request="", documents=listed, reasons=reasons, guidance=None)
            self._decided(unit, app, actor, ApplicationStatus.SUPPLEMENT_REQUESTED, "; ".join(reasons), names,
                          notice.id)
            unit.record("application.supplement_requested", actor_id=actor.id, details={
                "application": app.id, "reference": app.reference, "reason": "; ".join(reasons),
                "notice_id": notice.id})
            return self._view(session, app)

    def refuse(self, actor: Actor, reference: str, reason: str) -> ApplicationView:
        """Mẫu 03 for an online application: refused, with the reasons; final."""
        reasons = clean_reasons(reason)
        with self.core.unit() as unit:
            session = unit.session
            app = self._acting(session, actor, reference, ApplicationStatus.SUBMITTED,
                               ApplicationStatus.SUPPLEMENT_REQUESTED)
            notice = self.reception.notice_in(unit, actor, "refusal", app.procedure_code, dict(app.applicant),
                                              request="", documents=[], reasons=reasons, guidance=None)
            self._decided(unit, app, actor, ApplicationStatus.REFUSED, "; ".join(reasons), [], notice.id)
            unit.record("application.refused", actor_id=actor.id, details={
                "application": app.id, "reference": app.reference, "reason": "; ".join(reasons),
                "notice_id": notice.id})
            return self._view(session, app)

    # ------------------------------------------------------------------ helpers

    def _desk(self, definition: Definition, commune: str, errors: dict[str, str]) -> int:
        """The agency receiving applications of ``definition`` for ``commune`` (0 with an error noted)."""
        try:
            agency_id, _code = self.core.lane_agency(first_lane(definition), commune)
            self.core.reception_commune(agency_id, commune or None, definition)
        except LienThongError as exc:
            errors["commune"] = str(exc)
            return 0
        return agency_id

    @staticmethod
    def _files(files: Sequence[Upload], reqs: list[Requirement], documents: Documents, errors: dict[str, str],
               *, needed: set[str]) -> list[tuple[str, str, str, int, str, bytes]]:
        """Each file checked by size and content against its requirement; the required ones present."""
        if len(files) > min(MAX_FILES, max(len(reqs), 1)):
            raise InvalidInput(f"Quá nhiều tệp: mỗi giấy tờ một tệp, tối đa {min(MAX_FILES, max(len(reqs), 1))}")
        by_key = {r.key: r for r in reqs}
        out = []
        seen: set[str] = set()
        for upload in files:
            field = f"documents.{upload.key[:64]}"
            req = by_key.get(upload.key)
            if req is None:
                errors[field] = "Thủ tục không có giấy tờ này"
                continue
            if upload.key in seen:
                errors[field] = "Mỗi giấy tờ một tệp"
                continue
            seen.add(upload.key)
            try:
                media_type = documents.check(upload.data)
            except InvalidInput as exc:
                errors[field] = str(exc)
                continue
            out.append((req.key, req.name, safe_filename(upload.filename, media_type), len(upload.data), media_type,
                        upload.data))
        for key in sorted(needed - seen):
            errors.setdefault(f"documents.{key}", f"Thiếu giấy tờ bắt buộc: {by_key[key].name}")
        return out

    @staticmethod
    def _add_documents(session: Session, app: Application, stored: list[tuple[str, str, str, int, str, str]],
                       now: datetime) -> None:
        for key, name, filename, size, media_type, digest in stored:
            session.add(ApplicationDocument(application_id=app.id, requirement_key=key, requirement_name=name,
                                            filename=filename, size=size, media_type=media_type, sha256=digest,
                                            uploaded_at=now))
        session.flush()

    @staticmethod
    def _latest(session: Session, application_id: int) -> list[ApplicationDocument]:
        rows = session.scalars(select(ApplicationDocument).where(ApplicationDocument.application_id == application_id)
                               .order_by(ApplicationDocument.id)).all()
        return list({r.requirement_key: r for r in rows}.values())

    @staticmethod
    def _requirements(session: Session, app: Application) -> list[Requirement]:
        version = session.get(models.DefinitionVersion, app.definition_id)
        return requirements(dict(version.metadata_json or {})) if version is not None else []

    @staticmethod
    def _find(session: Session, reference: str) -> Application:
        app = session.scalar(select(Application).where(Application.reference == reference.strip().upper()[:32]))
        if app is None:
            raise NotFound(f"Không có hồ sơ trực tuyến {reference[:40]!r}")
        return app

    @staticmethod
    def _locked(session: Session, reference: str) -> Application:
        app = session.scalar(select(Application).where(Application.reference == reference.strip().upper()[:32])
                             .with_for_update())
        if app is None:
            raise NotFound(f"Không có hồ sơ trực tuyến {reference[:40]!r}")
        return app

    def _acting(self, session: Session, actor: Actor, reference: str, *allowed: ApplicationStatus) -> Application:
        """The application locked for a decision of its desk: 403 for anyone else, 409 in another status."""
        app = self._locked(session, reference)
        authorize_write(session, actor, Write.APPLICATION, dossier=app)
        if app.status not in allowed:
            raise Conflict(f"Hồ sơ trực tuyến {app.reference} đã được xử lý ({app.status})")
        return app

    @staticmethod
    def _decided(unit: UnitOfWork, app: Application, actor: Actor, status: ApplicationStatus, reason: str,
                 requested: list[str], notice_id: int) -> None:
        app.status, app.reason, app.requested, app.notice_id = status, reason, requested, notice_id
        app.updated_at, app.decided_by = unit.now, actor.id
        unit.session.flush()

    @staticmethod
    def _by_secret(session: Session, reference: str, secret: str) -> Application:
        if not isinstance(secret, str) or not secret.strip() or len(secret) > 128:
            raise NotFound(NOT_FOUND)
        app = session.scalar(select(Application).where(Application.reference == reference.strip().upper()[:32]))
        stored = app.secret_hash if app is not None else "0" * 64
        if not hmac.compare_digest(_hash(secret).encode(), stored.encode()) or app is None:
            raise NotFound(NOT_FOUND)
        return app

    @staticmethod
    def _view(session: Session, app: Application) -> ApplicationView:
        agency = session.get(models.Agency, app.receiving_agency_id)
        version = session.get(models.DefinitionVersion, app.definition_id)
        dossier = session.get(models.Dossier, app.dossier_id) if app.dossier_id else None
        docs = session.scalars(select(ApplicationDocument).where(ApplicationDocument.application_id == app.id)
                               .order_by(ApplicationDocument.id)).all()
        return ApplicationView(
            app.reference, app.status, app.procedure_code, version.name if version else app.procedure_code,
            dict(app.applicant or {}), app.commune_code, dict(app.data or {}), agency.code if agency else "",
            agency.name if agency else "", app.reason, tuple(str(n) for n in app.requested or []),
            tuple(_document(d) for d in docs), app.submitted_at, app.updated_at, dossier.code if dossier else "",
            dossier.lookup_secret if dossier else "", app.notice_id)


def _document(row: ApplicationDocument) -> UploadedDocument:
    return UploadedDocument(row.id, row.requirement_key, row.requirement_name, row.filename, row.size,
                            row.media_type, row.sha256, row.uploaded_at)

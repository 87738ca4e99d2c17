"""Citizens' feedback and petitions (phản ánh, kiến nghị — PAKN) on a procedure or a dossier.

A citizen sends a feedback from the portal (no account): it gets a reference and a secret, lands in
the queue of the responsible agency with a deadline of ``Settings.feedback_working_days`` working days
(the calendar's ``due``: the same counting as a dossier's appointment), and is answered there by one
of the agency's officials (clerk, officer or leader: ``authorization.Write.FEEDBACK``). The answer
may be published, with personal data removed (engine.redaction). The citizen follows it with the
reference and secret, and may rate the answer once (1–5, the survey's scale); rating closes it.

Status: ``received`` → ``answered`` → ``closed`` (rated).

Who is responsible:

- feedback on a dossier must be proved with the dossier's receipt secret (the lookup secret): the
  agency with the dossier's earliest open step, else the desk that received it. A wrong secret and an
  unknown code get the same refusal, so no one learns whether a dossier exists; the citizen may send
  the feedback on the procedure instead.
- feedback on a procedure goes to the agency the citizen chose among the procedure's responsible
  agencies (``candidates``: the owning agency, the metadata's lead and responsible agencies with kinds
  expanded to their agencies, the diagram's lanes), by default the first of them.

The secret is stored as its SHA-256 only and compared in constant time. Events ``feedback.received``
and ``feedback.answered`` go through ``events.record`` (no dossier id, no personal data: the
reference only); ``feedback.answered`` reaches the outbox, where the notifier writes to the contact
when it is an e-mail address (or a phone number, with an SMS gateway).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import accounts, approval, lanes, models
from engine.accounts import AgencyInfo
from engine.actor import Actor
from engine.authorization import HANDLING, Write, authorize_write
from engine.errors import Conflict, FormInvalid, InvalidInput, NotFound, PermissionDenied
from engine.events import record
from engine.redaction import redact
from engine.statuses import OPEN_STATES

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["MAX_ANSWER", "MAX_CONTACT", "MAX_NAME", "MAX_TEXT", "MIN_TEXT", "STATUSES", "FeedbackView",
           "PublicFeedback", "PublishedAnswer", "Receipt", "answer", "candidates", "get", "looks_like_email",
           "looks_like_phone", "public_status", "published", "queue", "rate", "submit"]

STATUSES = ("received", "answered", "closed")
MAX_NAME = 120
MAX_CONTACT = 120
MIN_TEXT = 10
MAX_TEXT = 4000
MAX_ANSWER = 8000
MAX_CODE = 64
MAX_QUEUE = 500
MAX_PUBLISHED = 100
MAX_CANDIDATES = 200
RATING_MIN, RATING_MAX = 1, 5
#: No 0/O, 1/I/L: read aloud or copied by hand without confusion.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 .-]{7,18}[0-9]")
WRONG_DOSSIER = "Mã hồ sơ hoặc mã bí mật trên phiếu hẹn không đúng"
WRONG_SECRET = "Mã phản ánh hoặc mã bí mật không đúng"  # noqa: S105 (a message, not a password)


@dataclass(frozen=True)
class Receipt:
    reference: str
    secret: str
    due_at: datetime
    agency_name: str


@dataclass(frozen=True)
class FeedbackView:
    """A feedback as the responsible agency's officials see it (personal data included)."""

    reference: str
    procedure_code: str
    dossier_code: str
    agency_code: str
    agency_name: str
    name: str
    contact: str
    text: str
    status: str
    received_at: datetime
    due_at: datetime
    answer: str
    answered_by: str
    answered_at: datetime | None
    published: bool
    rating: int | None

    def overdue(self, now: datetime) -> bool:
        return self.status == "received" and now > self.due_at

    @property
    def on_time(self) -> bool | None:
        return None if self.answered_at is None else self.answered_at <= self.due_at


@dataclass(frozen=True)
class PublicFeedback:
    """What the sender sees with the reference and secret: status, deadline, answer (no personal data)."""

    reference: str
    procedure_code: str
    dossier_code: str
    agency_name: str
    status: str
    received_at: datetime
    due_at: datetime
    answer: str
    answered_at: datetime | None
    published: bool
    rating: int | None


@dataclass(frozen=True)
class PublishedAnswer:
    reference: str
    procedure_code: str
    agency_name: str
    received_at: datetime
    answered_at: datetime
    text: str
    answer: str


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value.strip()))


def looks_like_phone(value: str) -> bool:
    return bool(_PHONE.fullmatch(value.strip()))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.strip().upper().encode()).hexdigest()


def _new_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _check(payload: Mapping[str, Any]) -> dict[str, str]:
    """The sender's fields, bounded; FormInvalid naming each bad field."""
    errors: dict[str, str] = {}
    for key in ("procedure", "dossier", "name", "contact", "text", "secret", "agency"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], str):
            errors[key] = "phải là một chuỗi ký tự"
    clean = {key: _text(payload, key) for key in ("procedure", "dossier", "name", "contact", "text", "secret",
                                                  "agency")}
    if bool(clean["procedure"]) == bool(clean["dossier"]):
        errors.setdefault("procedure", "Chọn một thủ tục hoặc ghi mã một hồ sơ (chỉ một trong hai)")
    for key in ("procedure", "dossier", "agency"):
        if len(clean[key]) > MAX_CODE:
            errors.setdefault(key, f"Tối đa {MAX_CODE} ký tự")
    if clean["dossier"] and not clean["secret"]:
        errors.setdefault("secret", "Cần mã bí mật in trên giấy tiếp nhận và hẹn trả kết quả")
    if not clean["name"] or len(clean["name"]) > MAX_NAME:
        errors.setdefault("name", f"Ghi họ tên (tối đa {MAX_NAME} ký tự)")
    contact = clean["contact"]
    if len(contact) > MAX_CONTACT or (contact and not (looks_like_email(contact) or looks_like_phone(contact))):
        errors.setdefault("contact", "Ghi một địa chỉ thư điện tử hoặc một số điện thoại (hoặc để trống)")
    if not MIN_TEXT <= len(clean["text"]) <= MAX_TEXT:
        errors.setdefault("text", f"Nội dung từ {MIN_TEXT} đến {MAX_TEXT} ký tự")
    if errors:
        raise FormInvalid(errors)
    return clean


# --------------------------------------------------------------------------- who answers


def candidates(engine: Engine, procedure_code: str) -> list[AgencyInfo]:
    """The agencies a feedback on this procedure may go to, the default first; NotFound for an unknown
    or internal procedure."""
    summary = engine.procedure(procedure_code.strip()[:MAX_CODE])
    if summary.metadata.get("level") == "internal":
        raise NotFound(f"Không có thủ tục {procedure_code[:MAX_CODE]!r}")
    definition = engine.definition(summary.definition_id)
    meta = summary.metadata
    codes: list[str] = [approval.owner_agency(definition.bpmn)]
    for value in (meta.get("lead_agency"), *(meta.get("responsible_agencies") or [])):
        if isinstance(value, str):
            codes.append(value)
    codes.extend(definition.lanes)
    directory = engine.directory()
    found: dict[str, None] = {}
    with engine.Session() as session:
        for code in codes:
            entries = [e.code for e in lanes.agencies_of(directory, code) if e.valid_to is None] if code else []
            if not entries and code:
                row = accounts.agency_for_lane(session, code)
                entries = [row.code] if row is not None and row.valid_to is None else []
            found.update(dict.fromkeys(entries))
            if len(found) >= MAX_CANDIDATES:
                break
        return [accounts.get_agency(session, code) for code in list(found)[:MAX_CANDIDATES]]


def _dossier_target(session: Session, code: str, secret: str) -> tuple[models.Dossier, int]:
    """The dossier proved by its receipt secret and the agency holding it now; one refusal for both
    an unknown code and a wrong secret."""
    dossier = session.scalar(select(models.Dossier).where(models.Dossier.code == code))
    given = secret.strip().upper()[:64].encode()
    stored = (dossier.lookup_secret if dossier is not None else "").upper().encode()
    if dossier is None or not stored or not hmac.compare_digest(given, stored):
        raise PermissionDenied(WRONG_DOSSIER)
    holder = session.scalar(select(models.Step.agency_id).where(
        models.Step.dossier_id == dossier.id, models.Step.state.in_(OPEN_STATES)).order_by(models.Step.id).limit(1))
    agency_id = holder or dossier.receiving_agency_id
    if agency_id is None:
        raise PermissionDenied(WRONG_DOSSIER)
    return dossier, agency_id


def submit(engine: Engine, payload: Mapping[str, Any]) -> Receipt:
    """Record a citizen's feedback: ``{"procedure" | "dossier" (+ "secret"), "name", "contact", "text",
    "agency"?}``. FormInvalid for bad fields, PermissionDenied for a dossier not proved, NotFound for
    an unknown procedure; nothing is stored then."""
    clean = _check(payload)
    choices: list[AgencyInfo] = []
    if clean["procedure"]:
        choices = candidates(engine, clean["procedure"])
        if not choices:
            raise InvalidInput("Thủ tục này chưa có cơ quan tiếp nhận phản ánh, kiến nghị")
        if clean["agency"] and clean["agency"] not in {a.code for a in choices}:
            raise FormInvalid({"agency": "Cơ quan này không giải quyết thủ tục đã chọn"})
    now = engine.now()
    due_at = engine.calendar().due(now, engine.settings.feedback_working_days)
    secret = _new_code(8)
    with engine.transaction() as session:
        dossier_id: int | None = None
        if clean["dossier"]:
            dossier, agency_id = _dossier_target(session, clean["dossier"], clean["secret"])
            dossier_id, procedure_code = dossier.id, dossier.procedure_code
        else:
            chosen = next((a for a in choices if a.code == clean["agency"]), choices[0])
            agency_id, procedure_code = chosen.id, engine.procedure(clean["procedure"]).code
        day = engine.calendar().localize(now)
        reference = f"PA{day:%y%m%d}-{_new_code(6)}"
        session.add(models.Feedback(
            reference=reference, secret_hash=_digest(secret), procedure_code=procedure_code, dossier_id=dossier_id,
            agency_id=agency_id, name=clean["name"], contact=clean["contact"], text=clean["text"],
            status="received", received_at=now, due_at=due_at, answer="", published=False))
        session.flush()
        record(session, "feedback.received", now, details={"feedback": reference})
        agency_name = session.scalar(select(models.Agency.name).where(models.Agency.id == agency_id)) or ""
    return Receipt(reference, secret, due_at, agency_name)


# --------------------------------------------------------------------------- the citizen's side


def _by_secret(session: Session, reference: str, secret: str) -> models.Feedback:
    row = session.scalar(select(models.Feedback).where(models.Feedback.reference == reference.strip()[:32]))
    given = _digest(secret[:64]).encode()
    stored = (row.secret_hash if row is not None else "0" * 64).encode()
    if not hmac.compare_digest(given, stored) or row is None:
        raise PermissionDenied(WRONG_SECRET)
    return row


def _names(session: Session, row: models.Feedback) -> tuple[str, str, str, str]:
    """(agency code, agency name, dossier code, answering official's name) of a feedback."""
    agency = session.get(models.Agency, row.agency_id)
    dossier = session.scalar(select(models.Dossier.code).where(models.Dossier.id == row.dossier_id)) \
        if row.dossier_id else None
    official = session.scalar(select(models.Official.full_name).where(models.Official.id == row.answered_by)) \
        if row.answered_by else None
    return (agency.code if agency else ""), (agency.name if agency else ""), dossier or "", official or ""


def public_status(engine: Engine, reference: str, secret: str) -> PublicFeedback:
    """The feedback's status and answer for its sender (PermissionDenied: wrong reference or secret)."""
    with engine.Session() as session:
        row = _by_secret(session, reference, secret)
        _code, agency_name, dossier_code, _official = _names(session, row)
        return PublicFeedback(row.reference, row.procedure_code, dossier_code, agency_name, row.status,
                              row.received_at, row.due_at, row.answer, row.answered_at, row.published, row.rating)


def rate(engine: Engine, reference: str, secret: str, rating: Any) -> None:
    """The sender's one rating of the answer (1–5); Conflict before the answer or a second time."""
    if isinstance(rating, str) and rating.strip().isdigit():
        rating = int(rating.strip())
    if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        raise InvalidInput(f"Mức đánh giá là một số từ {RATING_MIN} đến {RATING_MAX}")
    now = engine.now()
    with engine.transaction() as session:
        row = _by_secret(session, reference, secret)
        if row.status == "received":
            raise Conflict("Phản ánh chưa được trả lời: đánh giá được sau khi có câu trả lời")
        done = session.connection().execute(update(models.Feedback).where(
            models.Feedback.id == row.id, models.Feedback.rating.is_(None))
            .values(rating=rating, rated_at=now, status="closed")).rowcount
        if not done:
            raise Conflict("Câu trả lời này đã được đánh giá")
        record(session, "feedback.rated", now, details={"feedback": row.reference})


# --------------------------------------------------------------------------- the agency's side


def _view(session: Session, row: models.Feedback) -> FeedbackView:
    agency_code, agency_name, dossier_code, official = _names(session, row)
    return FeedbackView(row.reference, row.procedure_code, dossier_code, agency_code, agency_name, row.name,
                        row.contact, row.text, row.status, row.received_at, row.due_at, row.answer, official,
                        row.answered_at, row.published, row.rating)


def _reader(actor: Actor) -> None:
    """Feedback (with the senders' personal data) is read by the handling roles and administrators only."""
    if not actor.active or not actor.has("admin", *HANDLING):
        raise PermissionDenied("Chỉ cán bộ một cửa, chuyên viên, lãnh đạo và quản trị viên xem phản ánh, kiến nghị")


def _visible(actor: Actor, row: models.Feedback) -> bool:
    return actor.has("admin") or row.agency_id == actor.agency_id


def queue(engine: Engine, actor: Actor, status: str = "") -> list[FeedbackView]:
    """The feedback of the official's agency (every agency's for an administrator), open ones first by deadline."""
    _reader(actor)
    if status and status not in STATUSES:
        raise InvalidInput(f"Trạng thái: {', '.join(STATUSES)}")
    stmt = select(models.Feedback)
    if not actor.has("admin"):
        stmt = stmt.where(models.Feedback.agency_id == actor.agency_id)
    if status:
        stmt = stmt.where(models.Feedback.status == status)
    stmt = stmt.order_by((models.Feedback.status != "received"), models.Feedback.due_at, models.Feedback.id)
    with engine.Session() as session:
        return [_view(session, row) for row in session.scalars(stmt.limit(MAX_QUEUE))]


def get(engine: Engine, actor: Actor, reference: str) -> FeedbackView:
    _reader(actor)
    with engine.Session() as session:
        row = session.scalar(select(models.Feedback).where(models.Feedback.reference == reference.strip()[:32]))
        if row is None:
            raise NotFound("Không có phản ánh, kiến nghị với mã này")
        if not _visible(actor, row):
            raise PermissionDenied("Phản ánh, kiến nghị này gửi cơ quan khác")
        return _view(session, row)


def answer(engine: Engine, actor: Actor, reference: str, text: Any, publish: Any = False) -> FeedbackView:
    """An official of the responsible agency answers (once); ``publish`` also publishes the question and
    the answer with personal data removed."""
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_ANSWER:
        raise FormInvalid({"answer": f"Ghi câu trả lời (tối đa {MAX_ANSWER} ký tự)"})
    if not isinstance(publish, bool):
        raise FormInvalid({"publish": "true hoặc false"})
    now = engine.now()
    with engine.transaction() as session:
        row = session.scalar(select(models.Feedback).where(models.Feedback.reference == reference.strip()[:32])
                             .with_for_update())
        if row is None:
            raise NotFound("Không có phản ánh, kiến nghị với mã này")
        authorize_write(session, actor, Write.FEEDBACK, feedback=row)
        if row.status != "received":
            raise Conflict("Phản ánh, kiến nghị này đã được trả lời")
        clean = text.strip()
        values: dict[str, Any] = {"answer": clean, "answered_by": actor.id, "answered_at": now, "status": "answered",
                                  "published": publish}
        if publish:
            values |= {"published_text": redact(row.text, name=row.name, contact=row.contact),
                       "published_answer": redact(clean, name=row.name, contact=row.contact)}
        # Conditional, so that of two officials answering at once (SQLite takes no row lock) one wins.
        done = session.connection().execute(update(models.Feedback).where(
            models.Feedback.id == row.id, models.Feedback.status == "received").values(**values)).rowcount
        if not done:
            raise Conflict("Phản ánh, kiến nghị này đã được trả lời")
        record(session, "feedback.answered", now, actor_id=actor.id,
               details={"feedback": row.reference, "feedback_id": row.id})
        session.refresh(row)
        return _view(session, row)


def published(engine: Engine, procedure_code: str = "") -> list[PublishedAnswer]:
    """The answers published, newest first (personal data removed when they were published)."""
    stmt = (select(models.Feedback, models.Agency.name)
            .join(models.Agency, models.Agency.id == models.Feedback.agency_id)
            .where(models.Feedback.published.is_(True)))
    if procedure_code:
        stmt = stmt.where(models.Feedback.procedure_code == procedure_code[:MAX_CODE])
    stmt = stmt.order_by(models.Feedback.answered_at.desc(), models.Feedback.id.desc()).limit(MAX_PUBLISHED)
    with engine.Session() as session:
        return [PublishedAnswer(row.reference, row.procedure_code, name, row.received_at,
                                row.answered_at or row.received_at, row.published_text, row.published_answer)
                for row, name in session.execute(stmt)]

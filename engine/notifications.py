"""Citizen notifications: the outbox subscriber ``notifications`` turns dossier messages into an
e-mail (SMTP, standard library) and an SMS (a provider interface with one HTTP adapter).

Which messages (``KINDS``): reception (code, appointment, lookup link), supplement request (what is
missing), refusal, apology with the new date, result ready, result collected, and the answer to a
citizen's feedback (engine.feedback: to its contact when that is an e-mail address or a phone number). A dossier gets an
e-mail when it has an address and ``LIENTHONG_SMTP_URL`` is set, an SMS when it has a phone
number and ``LIENTHONG_SMS_URL`` is set.

Once per (outbox message, channel): a ``citizen_notices`` row is committed *before* sending
(status ``pending``, attempts counted) and marked ``sent`` *after*; a message already sent on a
channel is never sent again on it, whatever the outbox retries. A channel that fails raises, so
the outbox retries the message with its backoff; the channels already sent are skipped then.
After ``outbox_max_attempts`` attempts the row is marked ``failed`` and the dossier page shows it.
The one window left is a crash between the server's acceptance and the commit of ``sent``: the
message then goes again, with the same Message-ID (e-mail) or ``Idempotency-Key`` (SMS) so the
receiving side can recognise it. Nothing personal is logged or stored in errors: only the kind
of failure (exception class, SMTP or HTTP status code).

Templates: ``engine/templates/notifications/<kind>.<channel>.j2`` (an e-mail's first line is its
subject), replaced by the admin's edit stored in ``notice_templates`` when there is one; they are
rendered in a sandbox.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import db, models, outbox
from engine.application_models import Application
from engine.errors import InvalidInput
from engine.settings import Settings

SUBSCRIBER = "notifications"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "notifications"
CHANNELS = ("email", "sms")
KINDS = ("reception", "supplement", "refusal", "apology", "result", "collected", "feedback")
MAX_TEMPLATE = 4000
TIMEOUT_SECONDS = 10.0
_SIMPLE = {"dossier.received": "reception", "dossier.waiting_supplement": "supplement",
           "dossier.apology": "apology", "dossier.collected": "collected", "feedback.answered": "feedback",
           # an online application the desk sent back for a supplement (Mẫu 02) or refused (Mẫu 03)
           "application.supplement_requested": "supplement", "application.refused": "refusal"}
_NOTICE = models.CitizenNotice
_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


class DeliveryFailed(Exception):
    """A channel could not send; the text names channels and kinds of failure only."""


def kind_of(topic: str, payload: dict[str, Any]) -> str | None:
    """The notification an outbox message calls for, or None."""
    if topic == "dossier.finished":
        outcome = (payload.get("details") or payload).get("outcome")
        return {"refused": "refusal", "completed": "result", "returned": "result"}.get(str(outcome))
    return _SIMPLE.get(topic)


# --------------------------------------------------------------------------- channels


class SmsProvider(Protocol):
    def send(self, to: str, text: str, key: str) -> None: ...


@dataclass(frozen=True)
class HttpSms:
    """POST ``{"to", "text"}`` as JSON to the gateway; any 2xx is success."""

    url: str

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise InvalidInput("LIENTHONG_SMS_URL phải là địa chỉ http:// hoặc https://")

    def send(self, to: str, text: str, key: str) -> None:
        body = json.dumps({"to": to, "text": text}).encode()
        request = urllib.request.Request(self.url, data=body,  # noqa: S310 (http or https, checked above)
                                         headers={"Content-Type": "application/json", "Idempotency-Key": key},
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"sms: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryFailed(f"sms: {type(getattr(exc, 'reason', exc)).__name__}") from None


@dataclass(frozen=True)
class SmtpMail:
    """``smtp://[user:password@]host:port`` (``smtps://`` for TLS from the start)."""

    url: str
    sender: str

    def send(self, to: str, subject: str, body: str, key: str) -> None:
        parts = urlsplit(self.url)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{key}@lienthong>"
        message.set_content(body)
        factory = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        try:
            with factory(parts.hostname or "127.0.0.1", parts.port or 25, timeout=TIMEOUT_SECONDS) as server:
                if parts.username:
                    server.login(unquote(parts.username), unquote(parts.password or ""))
                server.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"email: SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"email: {type(exc).__name__}") from None


# --------------------------------------------------------------------------- templates


def template_names() -> list[str]:
    return [f"{kind}.{channel}" for kind in KINDS for channel in CHANNELS]


def default_template(name: str) -> str:
    if name not in template_names():
        raise InvalidInput(f"Không có mẫu thông báo {name[:40]}")
    return (TEMPLATES / f"{name}.j2").read_text(encoding="utf-8")


def template(session: Session, name: str) -> str:
    """The admin's edit of a template, or the file shipped with LienThong."""
    edited = session.get(models.NoticeTemplate, name)
    return edited.body if edited is not None else default_template(name)


def save_template(session: Session, name: str, body: str, now: datetime) -> None:
    """Store the admin's edit (an empty body goes back to the shipped file); refuse a template that
    does not render with a sample dossier."""
    default_template(name)
    body = body.replace("\r\n", "\n").strip()
    row = session.get(models.NoticeTemplate, name)
    if not body:
        session.execute(delete(models.NoticeTemplate).where(models.NoticeTemplate.name == name))
        return
    if len(body) > MAX_TEMPLATE:
        raise InvalidInput(f"Mẫu thông báo dài tối đa {MAX_TEMPLATE} ký tự")
    try:
        _ENV.from_string(body).render(**SAMPLE)
    except TemplateError as exc:
        raise InvalidInput(f"Mẫu thông báo không hợp lệ: {str(exc)[:200]}") from None
    if row is None:
        session.add(models.NoticeTemplate(name=name, body=body, updated_at=now))
    else:
        row.body, row.updated_at = body, now


SAMPLE = {"code": "000.00.15.H12-260302-0001", "procedure": "Đăng ký khai sinh", "due_at": "09/03/2026 08:00",
          "new_due_at": "12/03/2026 08:00", "reason": "Thiếu bản sao giấy chứng sinh",
          "lookup_url": "https://dichvucong.example.vn/tra-cuu?code=000.00.15.H12-260302-0001",
          "survey_url": "https://dichvucong.example.vn/lookup/000.00.15.H12-260302-0001/survey",
          "reference": "PA260302-ABC234", "feedback_url": "https://dichvucong.example.vn/pakn/theo-doi?reference=PA260302-ABC234"}


def render(session: Session, kind: str, channel: str, context: dict[str, str]) -> tuple[str, str]:
    """(subject, text) of one notification; an SMS has no subject."""
    text = _ENV.from_string(template(session, f"{kind}.{channel}")).render(**context).strip()
    if channel == "email":
        subject, _, body = text.partition("\n")
        return subject.strip()[:200], body.strip() + "\n"
    return "", text


# --------------------------------------------------------------------------- the subscriber


@dataclass
class Notifier:
    sessions: sessionmaker[Session]
    settings: Settings
    zone: Any
    clock: Callable[[], datetime]
    sms: SmsProvider | None = None

    def __post_init__(self) -> None:
        if self.sms is None and self.settings.sms_url:
            self.sms = HttpSms(self.settings.sms_url)

    def __call__(self, message: outbox.Message) -> None:
        kind = kind_of(message.topic, message.payload)
        if kind == "feedback":
            self._feedback(message)
            return
        if kind is None:
            return
        with self.sessions() as session:
            if message.topic.startswith("application."):
                found = self._application(session, message)
            else:
                dossier = session.get(models.Dossier, message.dossier_id) if message.dossier_id else None
                found = (self._targets(dossier.applicant_email, dossier.applicant_phone),
                         self._context(session, dossier, message)) if dossier is not None else None
            if found is None or not found[0]:
                return
            targets, context = found
            texts = {channel: render(session, kind, channel, context) for channel in targets}
        self._send(message, kind, targets, texts)

    def _feedback(self, message: outbox.Message) -> None:
        """The answer to a citizen's feedback, to the contact it gave (e-mail or phone)."""
        from engine.feedback import looks_like_email, looks_like_phone

        with self.sessions() as session:
            row = session.get(models.Feedback, message.payload.get("feedback_id"))
            if row is None:
                return
            targets = {}
            if self.settings.smtp_url and self.settings.mail_from and looks_like_email(row.contact):
                targets["email"] = row.contact.strip()
            if self.sms is not None and looks_like_phone(row.contact):
                targets["sms"] = row.contact.strip()
            if not targets:
                return
            name = session.scalar(select(models.DefinitionVersion.name).where(
                models.DefinitionVersion.procedure_code == row.procedure_code)
                .order_by(models.DefinitionVersion.id.desc()).limit(1)) or row.procedure_code
            base = self.settings.public_url.rstrip("/")
            context = dict.fromkeys(SAMPLE, "") | {
                "procedure": name, "reference": row.reference,
                "feedback_url": f"{base}/pakn/theo-doi?reference={row.reference}"}
            texts = {channel: render(session, "feedback", channel, context) for channel in targets}
        self._send(message, "feedback", targets, texts)

    def _send(self, message: outbox.Message, kind: str, targets: dict[str, str],
              texts: dict[str, tuple[str, str]]) -> None:
        failures = []
        for channel, address in targets.items():
            if not self._begin(message, channel, kind):
                continue  # already sent on this channel
            subject, text = texts[channel]
            key = f"notice-{message.id}-{channel}"
            try:
                if channel == "email":
                    SmtpMail(self.settings.smtp_url, self.settings.mail_from).send(address, subject, text, key)
                else:
                    assert self.sms is not None
                    self.sms.send(address, text, key)
            except Exception as exc:  # any failure is recorded, without personal data
                error = str(exc) if isinstance(exc, DeliveryFailed) else f"{channel}: {type(exc).__name__}"
                failures.append(error)
                self._end(message, channel, error=error)
            else:
                self._end(message, channel)
        if failures:
            raise DeliveryFailed("; ".join(failures))

    def _targets(self, email: str, phone: str) -> dict[str, str]:
        out = {}
        if self.settings.smtp_url and self.settings.mail_from and email:
            out["email"] = email
        if self.sms is not None and phone:
            out["sms"] = phone
        return out

    def _application(self, session: Session, message: outbox.Message
                     ) -> tuple[dict[str, str], dict[str, str]] | None:
        """Targets and context of an online application's message (it has no dossier yet)."""
        app = session.get(Application, message.payload.get("application") or 0)
        if app is None:
            return None
        person = dict(app.applicant or {})
        name = session.scalar(select(models.DefinitionVersion.name)
                              .where(models.DefinitionVersion.id == app.definition_id)) or app.procedure_code
        base = self.settings.public_url.rstrip("/")
        context = {"code": app.reference, "procedure": name, "due_at": "", "new_due_at": "",
                   "reason": str(message.payload.get("reason") or "")[:500],
                   "lookup_url": f"{base}/applications/{app.reference}", "survey_url": ""}
        return self._targets(str(person.get("email") or ""), str(person.get("phone") or "")), context

    def _context(self, session: Session, dossier: models.Dossier, message: outbox.Message) -> dict[str, str]:
        details = message.payload.get("details") or message.payload
        name = session.scalar(select(models.DefinitionVersion.name)
                              .where(models.DefinitionVersion.id == dossier.definition_id)) or dossier.procedure_code
        base = self.settings.public_url.rstrip("/")

        def when(value: Any) -> str:
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            return value.astimezone(self.zone).strftime("%d/%m/%Y %H:%M") if value else ""

        reason = str(details.get("reason") or "")
        if message.topic == "dossier.waiting_supplement" and not reason:
            reason = self._last_note(session, dossier.id)
        return {"code": dossier.code, "procedure": name, "due_at": when(dossier.due_at),
                "new_due_at": when(details.get("new_due_at")), "reason": reason[:500],
                "lookup_url": f"{base}/tra-cuu?code={dossier.code}",
                "survey_url": f"{base}/lookup/{dossier.code}/survey"}

    @staticmethod
    def _last_note(session: Session, dossier_id: int) -> str:
        details = session.scalar(select(models.Event.details).where(
            models.Event.dossier_id == dossier_id, models.Event.action == "step.completed")
            .order_by(models.Event.id.desc()).limit(1))
        return str((details or {}).get("note") or "")

    def _begin(self, message: outbox.Message, channel: str, kind: str) -> bool:
        """Commit the notice as pending (its attempt counted) before sending; False when already sent."""
        with self.sessions() as session, session.begin():
            session.execute(db.insert_ignoring(session, _NOTICE.__table__), {
                "outbox_id": message.id, "channel": channel, "dossier_id": message.dossier_id, "kind": kind,
                "status": "pending", "attempts": 0, "created_at": message.created_at, "sent_at": None,
                "last_error": ""})
            taken = session.connection().execute(update(_NOTICE).where(
                _NOTICE.outbox_id == message.id, _NOTICE.channel == channel, _NOTICE.status != "sent")
                .values(attempts=_NOTICE.attempts + 1, status="pending"))
            return bool(taken.rowcount)

    def _end(self, message: outbox.Message, channel: str, *, error: str = "") -> None:
        """After sending: ``sent``; after a failure: the error, and ``failed`` once the retries are spent."""
        if error:
            gave_up = message.attempt >= self.settings.outbox_max_attempts
            values: dict[str, Any] = {"last_error": error[:500], "status": "failed" if gave_up else "pending"}
        else:
            values = {"status": "sent", "sent_at": self.clock(), "last_error": ""}
        with self.sessions() as session, session.begin():
            session.execute(update(_NOTICE).where(_NOTICE.outbox_id == message.id, _NOTICE.channel == channel)
                            .values(**values))


def install(engine: Any, sms: SmsProvider | None = None) -> Notifier:
    """Subscribe the notifier of this engine to the outbox (``lienthong worker`` does it at start)."""
    notifier = Notifier(engine.Session, engine.settings, engine.calendar().zone, engine.now, sms)
    outbox.subscribe(SUBSCRIBER, notifier)
    return notifier


@dataclass(frozen=True)
class SentNotice:
    kind: str
    channel: str
    status: str
    attempts: int
    at: datetime


def for_dossier(session: Session, dossier_id: int) -> list[SentNotice]:
    """What was sent (or tried) to the applicant of a dossier: kind, channel, status, when; no text."""
    rows = session.scalars(select(_NOTICE).where(_NOTICE.dossier_id == dossier_id).order_by(_NOTICE.id)).all()
    return [SentNotice(r.kind, r.channel, r.status, r.attempts, r.sent_at or r.created_at) for r in rows]

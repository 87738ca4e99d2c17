"""The printed forms of Circular 01/2018/TT-VPCP as HTML (and PDF): Mẫu 01 to 06.

Each function takes plain data (engine.lifecycle.DossierPapers, DeskNoticeView, RegisterEntry)
and returns a complete HTML page; Jinja2 escapes everything that comes from users. Forms 01–05
print on A5, the register (06) on A4 landscape. ``render_pdf`` turns a page into PDF bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.calendar import WorkingCalendar
from engine.form_sets import DEFAULT_FORM_SET, form_reference
from engine.lifecycle import COLLECTION_METHODS, DOCUMENT_KINDS, DeskNoticeView, DossierPapers, RegisterEntry
from engine.views import DossierView, StepView

TEMPLATES = Path(__file__).with_name("templates") / "paperwork"
DOCUMENTS_EVENT = "dossier.documents"
TIMELINESS_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
SUPPLEMENT = "supplement"

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_default_calendar = WorkingCalendar()


@dataclass(frozen=True)
class Handover:
    """One row of the control form (Mẫu 05)."""

    agency: str
    step: str
    at: datetime
    giver: str
    receiver: str
    timeliness: str | None
    note: str

    @property
    def timeliness_label(self) -> str:
        return TIMELINESS_LABELS.get(self.timeliness or "", "")


def lookup_url(base_url: str, code: str) -> str:
    """The public lookup address of a dossier, as printed in the receipt's QR code."""
    return f"{base_url.rstrip('/')}/tra-cuu?code={quote(code, safe='')}"


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data: URI for an <img>."""
    return str(segno.make(text, error="m").svg_data_uri(scale=3, border=2))


def _formatters(calendar: WorkingCalendar | None) -> dict[str, Any]:
    cal = calendar or _default_calendar

    def dt(value: datetime | None) -> str:
        return cal.localize(value).strftime("%H:%M %d/%m/%Y") if value else ""

    def d(value: datetime | date | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = cal.localize(value).date()
        return value.strftime("%d/%m/%Y")

    def days(value: Decimal | int | float | None) -> str:
        if value is None:
            return ""
        number = Decimal(value).normalize()
        text = f"{number:f}".replace(".", ",")
        return f"{text.zfill(2) if number == number.to_integral_value() else text} ngày làm việc"

    def long_date(value: datetime | None) -> str:
        if value is None:
            return "ngày ... tháng ... năm ..."
        local = cal.localize(value)
        return f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"

    return {"dt": dt, "d": d, "days": days, "long_date": long_date}


def _render(name: str, calendar: WorkingCalendar | None, **context: Any) -> str:
    return _env.get_template(name).render(**_formatters(calendar), **context)


def received_documents(papers: DossierPapers) -> list[dict[str, Any]]:
    """The documents the desk recorded on receipt (last 'dossier.documents' event); none recorded, none
    printed (the receipt never lists what the clerk did not record)."""
    for event in reversed(papers.dossier.events):
        if event.action == DOCUMENTS_EVENT:
            return [{"name": str(d.get("name", "")), "originals": int(d.get("originals") or 0),
                     "copies": int(d.get("copies") or 0)} for d in event.details.get("documents", [])
                    if isinstance(d, dict)]
    return []


def original_appointment(dossier: DossierView) -> datetime | None:
    """The appointment written on the receipt when the dossier was received (a reprint shows it, not a
    date re-set later by a supplement or an apology)."""
    for event in dossier.events:
        if event.action == "dossier.received" and isinstance(event.details.get("due_at"), str):
            return datetime.fromisoformat(event.details["due_at"])
    return dossier.original_due_at or dossier.due_at


def receipt_html(papers: DossierPapers, *, base_url: str, lookup_secret: str = "") -> str:
    """Mẫu 01: receipt and appointment, with the dossier code and a QR code of the public lookup.

    ``lookup_secret`` (engine.documents.Documents.lookup_secret) is printed for the applicant: with
    the code it opens the electronic result on the public lookup.
    """
    url = lookup_url(base_url, papers.dossier.code)
    return _render("mau01.html", papers.calendar, p=papers, d_=papers.dossier, agency=papers.receiving_agency,
                   documents=received_documents(papers), appointment=original_appointment(papers.dossier),
                   url=url, qr=qr_data_uri(url), secret=lookup_secret,
                   form_ref=form_reference(papers.form_set, "receipt"))


def desk_notice_html(notice: DeskNoticeView | StepSupplementNotice, calendar: WorkingCalendar | None = None,
                     form_set: str = DEFAULT_FORM_SET) -> str:
    """Mẫu 02 (supplement request) or Mẫu 03 (refusal), by the notice's kind."""
    template = "mau02.html" if notice.kind == "supplement" else "mau03.html"
    return _render(template, calendar, n=notice, kinds=DOCUMENT_KINDS,
                   form_ref=form_reference(form_set, "supplement" if notice.kind == "supplement" else "refusal"))


@dataclass(frozen=True)
class StepSupplementNotice:
    """Mẫu 02 for a supplement requested during processing: the step's agency and official ask, under the
    dossier's code."""

    dossier_code: str
    agency_name: str
    applicant: dict[str, str]
    request: str
    reasons: list[str]
    official_name: str
    created_at: datetime
    documents: tuple[dict[str, Any], ...] = ()
    guidance: dict[str, str] = field(default_factory=dict)
    kind: str = "supplement"

    @property
    def reference(self) -> str:
        return self.dossier_code


def step_supplement_notices(dossier: DossierView) -> list[StepSupplementNotice]:
    """One Mẫu 02 per supplement requested at a step: the step completed just before a supplement step
    became ready is the request (its note the reason)."""
    steps = {s.id: s for s in dossier.steps}
    out = []
    last_completed: StepView | None = None
    for event in dossier.events:
        step = steps.get(event.step_id) if event.step_id is not None else None
        if step is None:
            continue
        if event.action == "step.completed" and step.step_kind != SUPPLEMENT:
            last_completed = step
        elif event.action == "step.ready" and step.step_kind == SUPPLEMENT and last_completed is not None:
            out.append(StepSupplementNotice(
                dossier.code, last_completed.agency_name, dict(dossier.applicant), dossier.procedure_name,
                [last_completed.note or "Hồ sơ chưa đầy đủ, hợp lệ"], last_completed.completed_by_name or "",
                event.at, guidance={"official": last_completed.completed_by_name or "", "phone": "", "website": ""}))
    return out


def step_supplement_html(papers: DossierPapers) -> str:
    """Mẫu 02 of the latest supplement requested during processing, with the dossier's code."""
    notices = step_supplement_notices(papers.dossier)
    if not notices:
        raise ValueError("no supplement was requested during processing")
    return desk_notice_html(notices[-1], papers.calendar, papers.form_set)


def apology_html(papers: DossierPapers) -> str:
    """Mẫu 04: apology and new appointment, signed by the head of the agency at fault."""
    if papers.lifecycle.apology is None:
        raise ValueError("the dossier has no apology")
    return _render("mau04.html", papers.calendar, p=papers, d_=papers.dossier, a=papers.lifecycle.apology,
                   agency=papers.receiving_agency, form_ref=form_reference(papers.form_set, "apology"))


def handovers(dossier: DossierView) -> list[Handover]:
    """The handovers of a dossier, from its event log: receipt, then each completed step to the next holders."""
    steps = {s.id: s for s in dossier.steps}
    rows: list[Handover] = []
    events = dossier.events
    waiting: list[StepView] = []  # completed steps whose next holder is not known yet (a join)
    for i, event in enumerate(events):
        if event.action == "dossier.received":
            first = [steps[e.step_id] for e in _following_ready(events, i) if e.step_id in steps]
            rows.append(Handover(dossier.receiving_agency_name, "Tiếp nhận hồ sơ", event.at,
                                 f"Công dân/tổ chức: {dossier.applicant.get('name', '')}",
                                 event.actor_name or _receivers(first), None, ""))
            continue
        if event.action not in ("step.completed", "timer.fired"):
            continue
        if event.action == "step.completed" and event.step_id in steps:
            waiting.append(steps[event.step_id])
        nxt = [steps[e.step_id] for e in _following_ready(events, i) if e.step_id in steps]
        finished = _finishes(events, i)
        if not nxt and not finished:
            continue
        citizen = f"Công dân/tổ chức: {dossier.applicant.get('name', '')}"
        asks = nxt and all(n.step_kind == SUPPLEMENT for n in nxt)
        receiver = f"{citizen} (yêu cầu bổ sung hồ sơ)" if asks else _receivers(nxt) if nxt else citizen
        for giver in waiting:
            if giver.step_kind == SUPPLEMENT:  # the applicant's time, never the desk's
                rows.append(Handover(citizen, giver.name, giver.completed_at or event.at, citizen, receiver, None,
                                     "Thời gian công dân bổ sung hồ sơ, không tính cho cơ quan"))
                continue
            rows.append(Handover(giver.agency_name, giver.name, giver.completed_at or event.at,
                                 giver.completed_by_name or "", receiver, giver.timeliness, giver.note))
        waiting = []
    return rows


def handling_agencies(dossier: DossierView) -> tuple[str, list[str]]:
    """(the agency that handles the dossier, the agencies that take part with it) for Mẫu 05: the first
    agency other than the desk that held a step, then the others in order, the desk left out."""
    names: list[str] = []
    for step in dossier.steps:
        if step.step_kind != SUPPLEMENT and step.agency_name != dossier.receiving_agency_name \
                and step.agency_name not in names:
            names.append(step.agency_name)
    return (names[0], names[1:]) if names else (dossier.receiving_agency_name, [])


def _following_ready(events: Sequence[Any], i: int) -> list[Any]:
    out = []
    for e in events[i + 1:]:
        if e.action == "step.ready":
            out.append(e)
        elif e.action != "step.cancelled":
            break
    return out


def _finishes(events: Sequence[Any], i: int) -> bool:
    for e in events[i + 1:]:
        if e.action == "dossier.finished":
            return True
        if e.action not in ("step.ready", "step.cancelled") and not e.action.startswith("dossier."):
            return False
    return False


def _receivers(steps: Sequence[StepView]) -> str:
    parts = []
    for s in steps:
        who = s.completed_by_name or s.assignee_name
        text = f"{s.agency_name} ({who})" if who else s.agency_name
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)


def control_form_html(papers: DossierPapers) -> str:
    """Mẫu 05: the control form, one row per handover with early / on time / late for that agency's part."""
    lead, partners = handling_agencies(papers.dossier)
    return _render("mau05.html", papers.calendar, p=papers, d_=papers.dossier, rows=handovers(papers.dossier),
                   agency=papers.receiving_agency, lead=lead, partners=partners,
                   form_ref=form_reference(papers.form_set, "control"))


def register_html(entries: Sequence[RegisterEntry], *, agency_name: str, date_from: date, date_to: date,
                  calendar: WorkingCalendar | None = None, form_set: str = DEFAULT_FORM_SET) -> str:
    """Mẫu 06 (07 in the 2025 set): the register of the desk's dossiers over a period (A4 landscape)."""
    return _render("mau06.html", calendar, entries=list(entries), agency_name=agency_name, date_from=date_from,
                   date_to=date_to, methods=COLLECTION_METHODS, form_ref=form_reference(form_set, "register"))


def render_pdf(html: str) -> bytes:
    """The page as PDF (WeasyPrint; Noto Sans / DejaVu Sans carry the Vietnamese glyphs)."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())

"""The printed forms of Circular 01/2018/TT-VPCP as HTML (and PDF): Mẫu 01 to 06.

Each function takes plain data (engine.lifecycle.DossierPapers, DeskNoticeView, RegisterEntry)
and returns a complete HTML page; Jinja2 escapes everything that comes from users. Forms 01–05
print on A5, the register (06) on A4 landscape. ``render_pdf`` turns a page into PDF bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.calendar import WorkingCalendar
from engine.lifecycle import COLLECTION_METHODS, DOCUMENT_KINDS, DeskNoticeView, DossierPapers, RegisterEntry
from engine.views import DossierView, StepView

TEMPLATES = Path(__file__).with_name("templates") / "paperwork"
DOCUMENTS_EVENT = "dossier.documents"
TIMELINESS_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}

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
    """The documents the desk noted on receipt (last 'dossier.documents' event), else those the procedure lists."""
    for event in reversed(papers.dossier.events):
        if event.action == DOCUMENTS_EVENT:
            return [{"name": str(d.get("name", "")), "originals": int(d.get("originals") or 0),
                     "copies": int(d.get("copies") or 0)} for d in event.details.get("documents", [])
                    if isinstance(d, dict)]
    return [{"name": str(d.get("name", "")), "originals": int(d.get("originals") or 0),
             "copies": int(d.get("copies") or 0)} for d in papers.metadata.get("documents", [])
            if isinstance(d, dict)]


def receipt_html(papers: DossierPapers, *, base_url: str, lookup_secret: str = "") -> str:
    """Mẫu 01: receipt and appointment, with the dossier code and a QR code of the public lookup.

    ``lookup_secret`` (engine.documents.Documents.lookup_secret) is printed for the applicant: with
    the code it opens the electronic result on the public lookup.
    """
    url = lookup_url(base_url, papers.dossier.code)
    return _render("mau01.html", papers.calendar, p=papers, d_=papers.dossier, agency=papers.receiving_agency,
                   documents=received_documents(papers), url=url, qr=qr_data_uri(url), secret=lookup_secret)


def desk_notice_html(notice: DeskNoticeView, calendar: WorkingCalendar | None = None) -> str:
    """Mẫu 02 (supplement request) or Mẫu 03 (refusal), by the notice's kind."""
    template = "mau02.html" if notice.kind == "supplement" else "mau03.html"
    return _render(template, calendar, n=notice, kinds=DOCUMENT_KINDS)


def apology_html(papers: DossierPapers) -> str:
    """Mẫu 04: apology and new appointment, signed by the head of the agency at fault."""
    if papers.lifecycle.apology is None:
        raise ValueError("the dossier has no apology")
    return _render("mau04.html", papers.calendar, p=papers, d_=papers.dossier, a=papers.lifecycle.apology,
                   agency=papers.receiving_agency)


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
        receiver = _receivers(nxt) if nxt else f"Công dân/tổ chức: {dossier.applicant.get('name', '')}"
        for giver in waiting:
            rows.append(Handover(giver.agency_name, giver.name, giver.completed_at or event.at,
                                 giver.completed_by_name or "", receiver, giver.timeliness, giver.note))
        waiting = []
    return rows


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
    return _render("mau05.html", papers.calendar, p=papers, d_=papers.dossier, rows=handovers(papers.dossier),
                   agency=papers.receiving_agency)


def register_html(entries: Sequence[RegisterEntry], *, agency_name: str, date_from: date, date_to: date,
                  calendar: WorkingCalendar | None = None) -> str:
    """Mẫu 06: the register of the desk's dossiers over a period (A4 landscape)."""
    return _render("mau06.html", calendar, entries=list(entries), agency_name=agency_name, date_from=date_from,
                   date_to=date_to, methods=COLLECTION_METHODS)


def render_pdf(html: str) -> bytes:
    """The page as PDF (WeasyPrint; Noto Sans / DejaVu Sans carry the Vietnamese glyphs)."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())

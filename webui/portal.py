"""The public portal (no login): procedure catalogue, one page per procedure, dossier lookup by code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup

from engine import (
    AgencyInfo,
    Definition,
    NotFound,
    ProcedureSummary,
    agencies_named,
    feedback_contacts,
    flowchart,
    guides,
    lane_agencies,
    search_key,
    steptable,
)
from engine import (
    lanes as lanes_of,
)
from webui.extensions import get_engine
from webui.ratelimit import check_public_lookup

bp = Blueprint("portal", __name__)

MAX_QUERY = 100
#: A kind named as responsible lists at most this many of its agencies on a procedure's page.
MAX_AGENCIES_PER_KIND = 30
MAX_CODE = 64
#: Browsers may keep a flowchart this long; its URL changes with the procedure's version.
SVG_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class CatalogueEntry:
    """One procedure as the catalogue lists it."""

    code: str
    name: str
    field: str
    version: int
    legal_working_days: Decimal
    reduced_working_days: Decimal | None
    key: str


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _display_name(summary: ProcedureSummary) -> str:
    """The English name on English pages when the metadata has one, else the published name."""
    meta = summary.metadata
    if str(get_locale()) == "en" and _text(meta.get("name_en")):
        return _text(meta.get("name_en"))
    return _text(meta.get("name_vi")) or summary.name


def _entry(summary: ProcedureSummary) -> CatalogueEntry:
    meta = summary.metadata
    name = _display_name(summary)
    words = [summary.code, summary.name, name, _text(meta.get("name_vi")), _text(meta.get("name_en")),
             _text(meta.get("field"))]
    return CatalogueEntry(summary.code, name, _text(meta.get("field")), summary.version,
                          summary.legal_working_days, summary.reduced_working_days, search_key(" ".join(words)))


def _internal(summary: ProcedureSummary) -> bool:
    """An internal process (level "internal" in its metadata) is not a citizen's procedure."""
    return summary.metadata.get("level") == "internal"


def public_procedures() -> list[tuple[str, str]]:
    """(code, name in the page's language) of every citizens' procedure in force, by name."""
    entries = [_entry(s) for s in get_engine().procedures() if not _internal(s)]
    return [(e.code, e.name) for e in sorted(entries, key=lambda e: search_key(e.name))]


def matches(entry: CatalogueEntry, query: str) -> bool:
    """Every word of the query, diacritics and case ignored ('mai tang' finds 'Mai táng')."""
    return all(word in entry.key for word in search_key(query).split())


@bp.route("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico whatever the page says: the SVG icon answers."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/")
def index() -> str:
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    chosen_field = (request.args.get("field") or "").strip()[:MAX_QUERY]
    entries = [_entry(s) for s in get_engine().procedures() if not _internal(s)]
    fields = sorted({e.field for e in entries if e.field}, key=search_key)
    shown = [e for e in entries if (not query or matches(e, query)) and (not chosen_field or e.field == chosen_field)]
    shown.sort(key=lambda e: search_key(e.name))
    return render_template("portal/index.html", entries=shown, total=len(entries), query=query,
                           fields=fields, chosen_field=chosen_field)


# --------------------------------------------------------------------------- one procedure


def _lane_agencies(definition: Definition) -> dict[str, AgencyInfo]:
    """Each lane of the diagram with the agency it binds to."""
    return lane_agencies(get_engine(), definition.lanes)


def _responsible(meta: dict[str, Any], lanes: dict[str, AgencyInfo]) -> list[AgencyInfo]:
    """The agencies the metadata names (lead first), else those of the diagram's lanes."""
    codes = [c for c in meta.get("responsible_agencies") or [] if isinstance(c, str)]
    lead = meta.get("lead_agency")
    if isinstance(lead, str) and lead in codes:
        codes = [lead] + [c for c in codes if c != lead]
    found: list[AgencyInfo] = []
    if codes:
        # An agency kind stands for its agencies in force (a commune's, the province's).
        directory = get_engine().directory()
        named = [entry.code for code in codes
                 for entry in lanes_of.agencies_of(directory, code)[:MAX_AGENCIES_PER_KIND]]
        found = agencies_named(get_engine(), dict.fromkeys(named))
    if not found:
        for info in lanes.values():
            if info.code not in {a.code for a in found}:
                found.append(info)
    return found


def _list(meta: dict[str, Any], key: str) -> list[Any]:
    value = meta.get(key)
    return list(value) if isinstance(value, list) else []


def _reduction(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The decision that cut the time limit, with its date as a date when it parses."""
    raw = meta.get("reduction_decision")
    if not isinstance(raw, dict):
        return None
    out = dict(raw)
    try:
        out["date"] = date.fromisoformat(str(raw.get("date", "")))
    except ValueError:
        out["date"] = None
    return out


def _public_procedure(code: str) -> ProcedureSummary:
    """The latest version of a citizens' procedure; an internal process is not published."""
    summary = get_engine().procedure(code)
    if _internal(summary):
        raise NotFound(f"Không có thủ tục {code!r}")
    return summary


def _svg_version(summary: ProcedureSummary, names: dict[str, str]) -> str:
    """Changes with the definition version and with the agency names drawn on the bands."""
    digest = hashlib.sha256(repr(sorted(names.items())).encode("utf-8")).hexdigest()[:12]
    return f"{summary.definition_id}-{digest}"


@bp.route("/thu-tuc/<code>")
def procedure(code: str) -> str:
    engine = get_engine()
    summary = _public_procedure(code)
    definition = engine.definition(summary.definition_id)
    lanes = _lane_agencies(definition)
    names = lanes_of.lane_labels(engine.directory(), definition.lanes)
    rows = steptable.step_rows(definition.process, names)
    table = Markup(steptable.to_html(rows))  # noqa: S704 - to_html escapes every cell itself
    meta = summary.metadata
    agencies = [(a, feedback_contacts.contacts_of(a)) for a in _responsible(meta, lanes)]
    reduction = _reduction(meta)
    fee = meta.get("fee") if isinstance(meta.get("fee"), dict) else None
    svg_url = url_for("portal.flowchart_svg", code=summary.code, v=_svg_version(summary, names))
    found_guides = guides.guides_of(summary.code)
    guide_forms = {f.id for f in found_guides.forms} if found_guides else set()
    return render_template(
        "portal/procedure.html", summary=summary, name=_display_name(summary), meta=meta, table=table,
        step_total=steptable.total_days(rows), agencies=agencies, reduction=reduction, fee=fee,
        documents=[d for d in _list(meta, "documents") if isinstance(d, dict)],
        forms=[f for f in _list(meta, "forms") if isinstance(f, dict)],
        legal_basis=_list(meta, "legal_basis"), submission=_list(meta, "submission"),
        notes=_list(meta, "notes"), lead_code=meta.get("lead_agency"), svg_url=svg_url, guide_forms=guide_forms)


#: For the online application pages (webui.applications).
display_name = _display_name
public_procedure = _public_procedure


@bp.route("/thu-tuc/<code>/so-do.svg")
def flowchart_svg(code: str) -> Response:
    engine = get_engine()
    summary = _public_procedure(code)
    definition = engine.definition(summary.definition_id)
    names = lanes_of.lane_labels(engine.directory(), definition.lanes)
    etag = _svg_version(summary, names)
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        header = flowchart.header_for(definition.process)
        header = flowchart.Header(summary.name, summary.code, summary.legal_working_days,
                                  summary.reduced_working_days, header.main_path_total, header.extra_lines)
        svg = flowchart.render_bytes(definition.bpmn, "svg", header=header, agency_names=names)
        response = Response(svg, mimetype="image/svg+xml")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={SVG_MAX_AGE}"
    return response


# --------------------------------------------------------------------------- lookup


@bp.route("/tra-cuu")
def lookup() -> tuple[str, int]:
    code = " ".join((request.args.get("code") or "").split())[:MAX_CODE]
    found: dict[str, Any] | None = None
    status = 200
    if code:
        check_public_lookup()
        try:
            found = get_engine().public_lookup(code)
        except NotFound:
            status = 404
    return render_template("portal/lookup.html", code=code, found=found, not_found=status == 404), status

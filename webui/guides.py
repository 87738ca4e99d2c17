"""Filling guides (hướng dẫn kê khai) on the portal: ``/guides`` lists every form of every published
citizens' procedure; ``/guides/<code>/<form>`` shows each field with its guide and sample;
``/guides/<code>/<form>/blank.pdf`` and ``…/sample.pdf`` are the blank form and the filled-in sample
(engine.guides); ``/api/v1/public/procedures/<code>/guides`` gives the same as JSON, with each online
application field's guide (``guide_for``). No account needed; the URLs stay the same across versions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, url_for

from engine import NotFound, guides
from webui.extensions import get_engine
from webui.portal import MAX_CODE, public_procedures

bp = Blueprint("guides", __name__)
#: The PDFs change only with the guide files (a deployment): browsers may keep them a day.
PDF_MAX_AGE = 24 * 3600


def _found(code: str, form_id: str) -> tuple[str, guides.FormGuide]:
    """(procedure name in the page's language, the form) of a published citizens' procedure; 404 otherwise."""
    names = dict(public_procedures())
    found = guides.guides_of(code[:MAX_CODE]) if code in names else None
    if found is None:
        abort(404)
    try:
        return names[code], found.form(form_id[:80])
    except NotFound:
        abort(404)


@bp.route("/guides")
def index() -> str:
    names = dict(public_procedures())
    listing = [(summary.code, names.get(summary.code, summary.name), found)
               for summary, found in guides.published_guides(get_engine()) if summary.code in names]
    listing.sort(key=lambda item: item[1])
    return render_template("guides/index.html", listing=listing)


@bp.route("/guides/<code>/<form_id>")
def form_page(code: str, form_id: str) -> str:
    name, form = _found(code, form_id)
    return render_template("guides/form.html", code=code, name=name, form=form)


def _pdf(code: str, form_id: str, *, filled: bool) -> Response:
    name, form = _found(code, form_id)
    response = Response(guides.form_pdf(form, name, filled=filled), mimetype="application/pdf")
    kind = "mau" if filled else "trong"
    response.headers["Content-Disposition"] = f'inline; filename="{code}-{form.id}-{kind}.pdf"'
    response.headers["Cache-Control"] = f"public, max-age={PDF_MAX_AGE}"
    return response


@bp.route("/guides/<code>/<form_id>/blank.pdf")
def blank_pdf(code: str, form_id: str) -> Response:
    return _pdf(code, form_id, filled=False)


@bp.route("/guides/<code>/<form_id>/sample.pdf")
def sample_pdf(code: str, form_id: str) -> Response:
    return _pdf(code, form_id, filled=True)


@bp.route("/api/v1/public/procedures/<code>/guides")
def api_guides(code: str) -> Response:
    """The procedure's forms with their fields, and ``fields``: each online-application field's guide."""
    names = dict(public_procedures())
    found = guides.guides_of(code[:MAX_CODE]) if code in names else None
    if found is None:
        response = jsonify(error="Không có hướng dẫn kê khai cho thủ tục này")
        response.status_code = 404
        return response
    return jsonify(procedure=code, fields=guides.guide_for(get_engine(), code), forms=[{
        "id": form.id, "title": form.title, "source": None if form.unconfirmed else form.source,
        "unconfirmed": form.unconfirmed,
        "blank_pdf": url_for("guides.blank_pdf", code=code, form_id=form.id),
        "sample_pdf": url_for("guides.sample_pdf", code=code, form_id=form.id),
        "fields": [{"id": f.id, "label": f.label, "guide": f.guide, "sample": f.sample} for f in form.fields]}
        for form in found.forms])

"""The satisfaction survey, for the citizen: the JSON answer (``POST /api/v1/public/dossiers/<code>/survey``,
hooked into webui.api) and the public page ``/lookup/<code>/survey`` (no login, CSRF on the form)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from engine import Conflict, InvalidInput, NotFound, PermissionDenied, citizen, survey
from webui.extensions import get_engine
from webui.ratelimit import check_public_lookup

bp = Blueprint("survey", __name__)
MAX_CODE = 64


def api_answer(code: str) -> tuple[Response, int]:
    """201 once per finished dossier; 409 a second time; 403 wrong secret (rate-limited); 400 bad answers."""
    check_public_lookup()
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("secret"), str):
        raise InvalidInput(_("Cần {\"secret\", \"answers\"} dạng JSON"))
    engine = get_engine()
    citizen.submit_survey(engine, code[:MAX_CODE], payload["secret"], payload.get("answers"))
    return jsonify(code=code, answered=True), 201


@bp.route("/lookup/<code>/survey", methods=["GET", "POST"])
def page(code: str) -> tuple[str, int]:
    code = code.strip()[:MAX_CODE]
    engine = get_engine()
    check_public_lookup()
    try:
        finished, answered = citizen.survey_status(engine, code)
    except NotFound:
        abort(404)
    form = survey.questionnaire()
    english = str(get_locale()) == "en"
    error, status, done = "", 200, answered
    given: dict[str, Any] = {}
    if request.method == "POST" and finished and not answered:
        given = {q.key: request.form.get(q.key, "") for q in form.questions}
        given["comment"] = request.form.get("comment", "")[:survey.MAX_COMMENT + 1]
        try:
            citizen.submit_survey(engine, code, request.form.get("secret", ""), given)
            done, status = True, 201
        except PermissionDenied:
            error, status = _("Mã bí mật không đúng."), 403
        except InvalidInput:
            error, status = _("Hãy chọn một mức cho mỗi câu hỏi."), 400
        except Conflict:
            done, status = True, 409
    questions = [{"key": q.key, "group": q.group, "text": q.en if english else q.vi} for q in form.questions]
    return render_template("portal/survey.html", code=code, finished=finished, done=done, error=error,
                           questions=questions, scale=range(form.scale_min, form.scale_max + 1),
                           given=given, version=form.version), status

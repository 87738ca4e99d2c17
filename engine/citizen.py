"""The citizen's side as the web layer asks for it: survey answers, satisfaction, notification templates and
the notices a dossier was sent; one call each, given the engine."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from engine import notifications, survey

if TYPE_CHECKING:
    from engine.runtime import Engine


def submit_survey(engine: Engine, code: str, secret: str, answers: Any) -> None:
    """Record the applicant's one answer to the satisfaction survey (proved by the receipt's secret)."""
    survey.submit(engine.Session, code, secret, answers, engine.now())


def survey_status(engine: Engine, code: str) -> tuple[bool, bool]:
    """(finished, answered) of the dossier with this code."""
    return survey.status(engine.Session, code)


def satisfaction(engine: Engine, date_from: date, date_to: date) -> survey.SatisfactionReport:
    """The satisfaction index per agency and procedure over the period."""
    with engine.Session() as session:
        return survey.index(session, engine.calendar(), date_from, date_to)


def notice_templates(engine: Engine) -> list[tuple[str, str]]:
    """Every notification template with its text in force (the admin's edit, else the default)."""
    with engine.Session() as session:
        return [(name, notifications.template(session, name)) for name in notifications.template_names()]


def save_notice_template(engine: Engine, name: str, body: str) -> None:
    with engine.transaction() as session:
        notifications.save_template(session, name, body, engine.now())


def dossier_notices(engine: Engine, dossier_id: int) -> list[notifications.SentNotice]:
    """What the dossier's applicant was sent (kind, channel, time, status; never the text)."""
    with engine.Session() as session:
        return notifications.for_dossier(session, dossier_id)


def satisfaction_dict(report: survey.SatisfactionReport) -> dict[str, Any]:
    """The index as the API gives it."""
    return survey.as_dict(report)


def survey_sheet_rows(report: survey.SatisfactionReport) -> list[dict[str, object]]:
    """The index as rows of the statistics workbook's satisfaction sheet."""
    return survey.sheet_rows(report)

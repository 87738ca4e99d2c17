"""The satisfaction survey (SIPAS model): one answer per finished dossier, proven with the receipt's
secret, and the satisfaction index per agency, procedure and period.

The questions are data (``workflows/survey/sipas.toml``): each is answered on a five-point scale
(1 = rất không hài lòng … 5 = rất hài lòng). A dossier's answer is stored once
(``survey_responses.dossier_id`` is unique, so two answers racing each other cannot both land).

Satisfaction index (SIPAS): over the answers given in a period, the share of question answers at
or above ``satisfied_from`` (4 = hài lòng), in percent with one decimal; per the dossier's
receiving agency and per procedure.
"""

from __future__ import annotations

import hmac
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.calendar import WorkingCalendar
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.stats import period_bounds

QUESTIONNAIRE = Path(__file__).resolve().parent.parent / "workflows" / "survey" / "sipas.toml"
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Question:
    key: str
    group: str
    vi: str
    en: str
    unconfirmed: bool


@dataclass(frozen=True)
class Questionnaire:
    version: str
    unconfirmed: bool
    scale_min: int
    scale_max: int
    satisfied_from: int
    questions: tuple[Question, ...]


@lru_cache(maxsize=1)
def questionnaire(path: Path = QUESTIONNAIRE) -> Questionnaire:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    questions = tuple(Question(q["key"], q["group"], q["vi"], q["en"], bool(q.get("unconfirmed", False)))
                      for q in raw["questions"])
    return Questionnaire(raw["version"], bool(raw.get("unconfirmed", False)), int(raw["scale_min"]),
                         int(raw["scale_max"]), int(raw["satisfied_from"]), questions)


def clean_answers(answers: Any, form: Questionnaire | None = None) -> dict[str, Any]:
    """The answers checked against the questionnaire: every question answered with a whole number
    on the scale, nothing else but an optional ``comment``; raise InvalidInput otherwise."""
    form = form or questionnaire()
    if not isinstance(answers, dict):
        raise InvalidInput("Câu trả lời phải là một đối tượng JSON")
    known = {q.key for q in form.questions}
    unknown = sorted(set(answers) - known - {"comment"})
    if unknown:
        raise InvalidInput(f"Câu hỏi không có trong phiếu: {', '.join(k[:40] for k in unknown[:5])}")
    out: dict[str, Any] = {}
    for q in form.questions:
        value = answers.get(q.key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not form.scale_min <= value <= form.scale_max:
            raise InvalidInput(f"Câu “{q.key}” cần một mức từ {form.scale_min} đến {form.scale_max}")
        out[q.key] = value
    comment = answers.get("comment", "")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise InvalidInput(f"Ý kiến khác là một đoạn văn bản tối đa {MAX_COMMENT} ký tự")
    if comment.strip():
        out["comment"] = comment.strip()
    return out


def _dossier_for(session: Session, code: str, secret: str) -> models.Dossier:
    dossier = session.scalar(select(models.Dossier).where(models.Dossier.code == code.strip()[:64]))
    if dossier is None:
        raise NotFound("Không có hồ sơ với mã này")
    given = (secret or "").strip().upper()[:64]
    if not dossier.lookup_secret or not hmac.compare_digest(given.encode(), dossier.lookup_secret.upper().encode()):
        raise PermissionDenied("Mã bí mật trên phiếu hẹn không đúng")
    return dossier


def status(sessions: sessionmaker[Session], code: str) -> tuple[bool, bool]:
    """(finished, answered) of a dossier, for the public pages; NotFound for an unknown code."""
    with sessions() as session:
        row = session.execute(select(models.Dossier.id, models.Dossier.finished_at)
                              .where(models.Dossier.code == code.strip()[:64])).first()
        if row is None:
            raise NotFound("Không có hồ sơ với mã này")
        answered = session.scalar(select(models.SurveyResponse.id)
                                  .where(models.SurveyResponse.dossier_id == row.id)) is not None
        return row.finished_at is not None, answered


def submit(sessions: sessionmaker[Session], code: str, secret: str, answers: Any, now: datetime) -> None:
    """Record the applicant's one answer for a finished dossier.

    NotFound: unknown code; PermissionDenied: wrong secret; Conflict: not finished yet or already
    answered; InvalidInput: answers that do not fit the questionnaire. Nothing is written on error."""
    clean = clean_answers(answers)
    with sessions() as session, session.begin():
        dossier = _dossier_for(session, code, secret)
        if dossier.finished_at is None:
            raise Conflict("Hồ sơ chưa có kết quả: chỉ đánh giá được sau khi giải quyết xong")
        exists = session.scalar(select(models.SurveyResponse.id)
                                .where(models.SurveyResponse.dossier_id == dossier.id))
        if exists is not None:
            raise Conflict("Hồ sơ này đã được đánh giá")
        session.add(models.SurveyResponse(dossier_id=dossier.id, answers=clean, submitted_at=now))
        try:
            session.flush()
        except IntegrityError as exc:  # another answer landed in between
            raise Conflict("Hồ sơ này đã được đánh giá") from exc


@dataclass(frozen=True)
class Satisfaction:
    """Answers (``responses``) and question answers counted (``rated``, ``satisfied``) of one group."""

    code: str
    name: str
    responses: int
    rated: int
    satisfied: int

    @property
    def index(self) -> float | None:
        if not self.rated:
            return None
        return float((Decimal(100 * self.satisfied) / Decimal(self.rated)).quantize(Decimal("0.1"), ROUND_HALF_UP))


@dataclass(frozen=True)
class SatisfactionReport:
    overall: Satisfaction
    by_agency: list[Satisfaction]
    by_procedure: list[Satisfaction]


def index(session: Session, calendar: WorkingCalendar, date_from: date, date_to: date) -> SatisfactionReport:
    """The satisfaction index of the answers given between two local dates (both included)."""
    start, end = period_bounds(calendar, date_from, date_to)
    form = questionnaire()
    keys = [q.key for q in form.questions]
    rows = session.execute(
        select(models.SurveyResponse.answers, models.Dossier.procedure_code, models.Agency.code, models.Agency.name)
        .join(models.Dossier, models.Dossier.id == models.SurveyResponse.dossier_id)
        .outerjoin(models.Agency, models.Agency.id == models.Dossier.receiving_agency_id)
        .where(models.SurveyResponse.submitted_at >= start, models.SurveyResponse.submitted_at < end)).all()
    names: dict[str, str] = {row.procedure_code: row.name for row in session.execute(
        select(models.DefinitionVersion.procedure_code, models.DefinitionVersion.name)
        .order_by(models.DefinitionVersion.id))}
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for answers, procedure, agency_code, agency_name in rows:
        values = [answers.get(k) for k in keys if isinstance(answers.get(k), int)]
        good = sum(1 for v in values if v >= form.satisfied_from)
        for group in (("all", "", ""), ("agency", agency_code or "", agency_name or ""),
                      ("procedure", procedure, names.get(procedure, procedure))):
            t = totals[group]
            t[0] += 1
            t[1] += len(values)
            t[2] += good

    def of(kind: str) -> list[Satisfaction]:
        return sorted((Satisfaction(code, name, *t) for (k, code, name), t in totals.items() if k == kind),
                      key=lambda s: s.code)

    overall = next(iter(of("all")), Satisfaction("", "", 0, 0, 0))
    return SatisfactionReport(overall, of("agency"), of("procedure"))


def as_dict(report: SatisfactionReport) -> dict[str, Any]:
    """The report as the statistics API shows it."""

    def one(key: str | None, s: Satisfaction) -> dict[str, Any]:
        head = {key: s.code, "name": s.name} if key else {}
        return head | {"responses": s.responses, "rated": s.rated, "satisfied": s.satisfied, "index": s.index}

    return {"version": questionnaire().version, "overall": one(None, report.overall),
            "by_agency": [one("agency", s) for s in report.by_agency],
            "by_procedure": [one("procedure", s) for s in report.by_procedure]}


def sheet_rows(report: SatisfactionReport) -> list[dict[str, object]]:
    """One row per agency and per procedure, for the statistics workbook."""
    return [{"nhom": kind, "ma": s.code, "ten": s.name, "so_phieu": s.responses, "so_cau_tra_loi": s.rated,
             "hai_long": s.satisfied, "chi_so_phan_tram": s.index}
            for kind, group in (("Cơ quan", report.by_agency), ("Thủ tục", report.by_procedure)) for s in group]

"""Dates from query strings (dossier search, statistics, the register): ISO dates within the engine's
range, periods in order; anything else is a clear 400 in the user's language, never a crash."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _

from engine import FIRST_DAY, LAST_DAY, InvalidInput
from webui.extensions import get_engine


def today() -> date:
    """Today in the calendar's zone, by the engine's clock."""
    engine = get_engine()
    return engine.calendar().localize(engine.now()).date()


def date_arg(name: str, default: date | None = None) -> date | None:
    """The ``name`` query argument as a date (``default`` when absent or blank)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(_("Ngày không hợp lệ (YYYY-MM-DD): %(name)s", name=name))
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(_("Ngày phải nằm trong khoảng %(first)s – %(last)s: %(name)s",
                             first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat(), name=name))
    return day


def period_args() -> tuple[date, date]:
    """``from``–``to`` (defaults: the month so far), in order."""
    date_to = date_arg("to", today())
    assert date_to is not None
    date_from = date_arg("from", date_to.replace(day=1))
    assert date_from is not None
    if date_from > date_to:
        raise InvalidInput(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."))
    return date_from, date_to


def optional_period() -> tuple[date | None, date | None]:
    """``from`` and ``to`` when given (the dossier search), in order when both are."""
    date_from, date_to = date_arg("from"), date_arg("to")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."))
    return date_from, date_to

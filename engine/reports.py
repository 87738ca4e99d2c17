"""Reads over many dossiers for the web pages and the API: search, statistics, digitisation."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from engine import search, stats
from engine.actor import Actor
from engine.search import SearchPage, SearchQuery

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["digitisation", "dossier_facts", "search_dossiers", "statistics"]


def search_dossiers(engine: Engine, actor: Actor, query: SearchQuery) -> SearchPage:
    """The dossiers ``actor`` may see that match ``query``, one page."""
    with engine.Session() as session:
        return search.search(session, actor, query, engine.calendar())


def statistics(engine: Engine, date_from: date, date_to: date) -> stats.Stats:
    """Figures per agency and procedure for the local dates ``date_from``–``date_to``, as seen now."""
    with engine.Session() as session:
        return stats.compute(session, engine.calendar(), date_from, date_to, engine.now())


def dossier_facts(engine: Engine, date_from: date, date_to: date) -> list[stats.DossierFact]:
    """One fact per dossier received in the period (the statistics page and its downloads)."""
    with engine.Session() as session:
        return stats.dossier_facts(session, engine.calendar(), date_from, date_to, engine.now())


def digitisation(engine: Engine, date_from: date,
                 date_to: date) -> tuple[list[stats.DigitisationStats], list[stats.DigitisationStats]]:
    """Digitisation at reception in the period: (per agency, per procedure)."""
    with engine.Session() as session:
        return stats.digitisation(session, engine.calendar(), date_from, date_to)

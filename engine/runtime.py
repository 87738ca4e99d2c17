"""``Engine``: the engine's public face, one instance per process, handing each call to one service.

Each action is one database transaction in its service (engine.services): reception, steps,
lifecycle, deadlines, timers, reads, deployment. What they share (settings, database, clock,
caches) is the ``Core``; what one action writes goes through its ``UnitOfWork``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.applicants import mask_name, search_key
from engine.calendar import WorkingCalendar
from engine.services.applications import Applications
from engine.services.deadlines import Deadlines
from engine.services.deployment import Deployment
from engine.services.lifecycle import Lifecycle
from engine.services.progress import Progress
from engine.services.reads import Reads
from engine.services.reception import Reception
from engine.services.steps import Steps
from engine.services.timers import Timers
from engine.services.unit import Clock, Core, DossierRow, UnitOfWork
from engine.settings import Settings

__all__ = ["Engine", "mask_name", "search_key"]


class Engine:
    """LienThong's workflow engine on one database; thread-safe, one instance per process."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None, clock: Clock | None = None,
                 cache_size: int = 2000, **engine_kwargs: Any) -> None:
        """``settings`` default to ``Settings.from_env()``; ``url`` replaces their database URL."""
        settings = settings or Settings.from_env()
        if url is not None:
            settings = settings.with_changes(database_url=url)
        self.settings = settings
        self.core = core = Core(settings, clock=clock, cache_size=cache_size, **engine_kwargs)
        self.db = core.db
        self.Session = core.Session
        self.cache = core.cache
        self.codec = core.codec
        progress = Progress(core)
        self.progress = progress
        deployment = Deployment(core)
        reception = Reception(core, progress)
        steps = Steps(core, progress)
        lifecycle = Lifecycle(core, progress)
        deadlines = Deadlines(core, progress)
        timers = Timers(core, progress)
        reads = Reads(core)
        applications = Applications(core, reception)
        # deployment
        self.definition = deployment.definition
        self.deploy = deployment.deploy
        self.procedures = deployment.procedures
        self.procedure = deployment.procedure
        # reception at the desk
        self.start_dossier = reception.start_dossier
        self.request_supplement_at_desk = reception.request_supplement_at_desk
        self.refuse_at_desk = reception.refuse_at_desk
        self.desk_notice = reception.desk_notice
        self.desk_notices = reception.desk_notices
        # online applications
        self.submit_application = applications.submit
        self.resubmit_application = applications.resubmit
        self.public_application = applications.public_application
        self.applications = applications.applications
        self.application = applications.application
        self.application_document = applications.uploaded
        self.accept_application = applications.accept
        self.request_application_supplement = applications.request_supplement
        self.refuse_application = applications.refuse
        # steps
        self.claim = steps.claim
        self.unclaim = steps.unclaim
        self.reassign = steps.reassign
        self.complete = steps.complete
        # lifecycle
        self.issue_apology = lifecycle.issue_apology
        self.withdraw = lifecycle.withdraw
        self.record_collection = lifecycle.record_collection
        self.dossier_lifecycle = lifecycle.dossier_lifecycle
        self.papers = lifecycle.papers
        self.register = lifecycle.register
        # deadlines and timers
        self.calendar_changed = deadlines.calendar_changed
        self.recompute_deadlines = deadlines.recompute_deadlines
        self.fire_timer = timers.fire_timer
        self.due_timers = timers.due_timers
        # reads
        self.inbox = reads.inbox
        self.step_form = reads.step_form
        self.dossier = reads.dossier
        self.public_lookup = reads.public_lookup
        # lanes naming agency kinds (engine.lanes)
        self.directory = core.directory

    def close(self) -> None:
        self.db.dispose()

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.core.clock = clock

    def now(self) -> datetime:
        return self.core.now()

    def today(self, now: datetime | None = None) -> date:
        """The local date of ``now`` (default: the engine's clock), for forms' ``today`` bounds."""
        return self.calendar().localize(now or self.now()).date()

    def calendar(self) -> WorkingCalendar:
        """The working calendar with the admin's overrides (re-read at most every 30 s)."""
        return self.core.calendar()

    def invalidate_calendar(self) -> None:
        self.core.invalidate_calendar()

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        """One write transaction with its instant, calendar and ``record()`` (for modules beside the services)."""
        with self.core.unit() as unit:
            yield unit

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction's session; a lost race surfaces as RetryableConflict."""
        with self.core.unit() as unit:
            yield unit.session

    def lock_dossier(self, session: Session, dossier_id: int) -> DossierRow:
        """The dossier's row, locked against other writers until the transaction ends."""
        unit = UnitOfWork(session.connection(), self.now(), self.settings, self.calendar(), session)
        return self.progress.lock_dossier(unit, dossier_id)

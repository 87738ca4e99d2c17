"""Due times are derived data: after a calendar change they are recomputed for open dossiers,
open steps and pending duration timers (rules in engine.lifecycle)."""

from __future__ import annotations

from sqlalchemy import select, update

from engine import models, timeliness
from engine.lifecycle import counting_basis, last_restart, retime_timers
from engine.services.progress import Progress
from engine.services.unit import Core
from engine.statuses import OPEN_STATES, OPEN_STATUSES


class Deadlines:
    def __init__(self, core: Core, progress: Progress) -> None:
        self.core = core
        self.progress = progress

    def calendar_changed(self) -> int:
        """Call after the calendar overrides changed: reload the calendar and recompute open deadlines."""
        self.core.invalidate_calendar()
        return self.recompute_deadlines()

    def recompute_deadlines(self) -> int:
        """Re-derive the due times of open dossiers and open steps from the calendar; returns how many changed.

        A dossier: its time limit from the receipt (15:00 cut-off) or from the last restart after a
        supplement, plus the working time spent waiting for supplements under the pause rule, plus
        the apology's extension. A step: its budget from the moment it became ready.
        """
        with self.core.read() as session:
            ids = list(session.scalars(select(models.Dossier.id).where(
                models.Dossier.status.in_(OPEN_STATUSES)).order_by(models.Dossier.id)))
        changed = 0
        for dossier_id in ids:  # one short transaction per dossier
            changed += self._recompute_dossier(dossier_id)
        return changed

    def _recompute_dossier(self, dossier_id: int) -> int:
        changed = 0
        with self.core.unit() as unit:
            session, now, cal = unit.session, unit.now, unit.calendar
            dossier = self.progress.lock_dossier(unit, dossier_id)
            if dossier.status not in OPEN_STATUSES:
                return 0
            definition = self.core.definition(session, dossier.definition_id)
            counting_from, paused = counting_basis(session, cal, dossier)
            original = cal.add_working_seconds(cal.add(counting_from, days=definition.limit_working_days), paused)
            apology = session.scalar(select(models.Apology).where(models.Apology.dossier_id == dossier.id))
            due = original
            if apology is not None and apology.issued_at >= last_restart(session, dossier.id, dossier.received_at):
                due = cal.add_working_seconds(original, apology.extension_seconds)
                apology.new_due_at = due
            if (counting_from, due, original) != (dossier.counting_from, dossier.due_at, dossier.original_due_at):
                unit.record("dossier.due_recomputed", dossier_id=dossier.id,
                            details={"old": dossier.due_at.isoformat() if dossier.due_at else None,
                                     "new": due.isoformat()})
                dossier.counting_from, dossier.due_at, dossier.original_due_at = counting_from, due, original
                if due > now:
                    session.execute(update(models.DossierTracking).where(
                        models.DossierTracking.dossier_id == dossier.id).values(warned_at=None, overdue_marked_at=None))
                changed += 1
            for step in session.scalars(select(models.Step).where(
                    models.Step.dossier_id == dossier.id, models.Step.state.in_(OPEN_STATES))):
                step_due = timeliness.step_due(cal, step.ready_at, step.working_days)
                if step_due != step.due_at:
                    unit.record("step.due_recomputed", dossier_id=dossier.id, step_id=step.id,
                                details={"old": step.due_at.isoformat() if step.due_at else None,
                                         "new": step_due.isoformat()})
                    step.due_at = step_due
                    if step_due > now:
                        step.warned_at = step.overdue_marked_at = None
                    changed += 1
            changed += retime_timers(session, cal, dossier.id, now)
        return changed



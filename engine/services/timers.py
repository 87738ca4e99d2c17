"""Timer events of running dossiers, due in working time and fired by the worker."""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import models
from engine.services.progress import LOOP_INCIDENT, MAX_ENGINE_TASKS, LoopRanOut, Progress
from engine.services.unit import Core


class Timers:
    def __init__(self, core: Core, progress: Progress) -> None:
        self.core = core
        self.progress = progress

    def fire_timer(self, timer_id: int) -> bool:
        """Fire one due timer event; False when it no longer applies."""
        with self.core.unit() as unit:
            session = unit.session
            timer = session.get(models.Timer, timer_id)
            if timer is None:
                return False
            dossier = self.progress.lock_dossier(unit, timer.dossier_id)
            session.refresh(timer, with_for_update=True)
            if timer.fired_at is not None or timer.cancelled_at is not None:
                return False
            definition = self.core.definition(session, dossier.definition_id)
            wf = self.progress.load(unit, dossier, definition)
            task = wf.tasks.get(UUID(timer.task_id))
            if task is None or not task.has_state(TaskState.WAITING):
                timer.cancelled_at = unit.now
                return False

            def fire() -> None:
                task._set_internal_data(event_fired=True)
                wf.refresh_timers()

            incident = ""
            try:
                self.progress.run(wf, definition, None, fire)
            except LoopRanOut:
                incident = LOOP_INCIDENT.format(limit=MAX_ENGINE_TASKS)
            timer.fired_at = unit.now
            unit.record("timer.fired", dossier_id=dossier.id,
                        details={"element": timer.element_id, "due_at": timer.due_at.isoformat()})
            self.progress.settle(unit, dossier, definition, wf, None, incident=incident)
            return True

    def due_timers(self, limit: int = 100) -> list[int]:
        """Ids of timers whose working-time due has passed."""
        with self.core.read() as session:
            return list(session.scalars(select(models.Timer.id).where(
                models.Timer.fired_at.is_(None), models.Timer.cancelled_at.is_(None),
                models.Timer.due_at <= self.core.now()).order_by(models.Timer.due_at).limit(limit)))

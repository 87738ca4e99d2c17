"""The states a dossier and a step can be in, each set defined once.

    dossier: received → processing ⇄ waiting_supplement → completed | returned | refused | withdrawn
    step:    ready ⇄ claimed → completed;  ready | claimed → cancelled
    online application: submitted ⇄ supplement_requested;  submitted → accepted | refused
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FINISHED_STATUSES", "OPEN_STATES", "OPEN_STATUSES", "OUTCOME_PRIORITY", "RESULT_STATUSES",
           "ApplicationStatus", "DossierStatus", "StepState"]


class DossierStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    WAITING_SUPPLEMENT = "waiting_supplement"
    COMPLETED = "completed"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ApplicationStatus(StrEnum):
    """An online application (engine.services.applications) before the desk receives it."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    REFUSED = "refused"


class StepState(StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


#: A dossier still being worked on.
OPEN_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.WAITING_SUPPLEMENT)
#: A dossier whose outcome is known (the workflow ended, or the applicant withdrew).
FINISHED_STATUSES = frozenset(DossierStatus) - frozenset(OPEN_STATUSES)
#: A dossier with a result the applicant can collect.
RESULT_STATUSES = frozenset({DossierStatus.RETURNED, DossierStatus.COMPLETED, DossierStatus.REFUSED})
#: How a workflow can end (an end event's ``outcome`` property), from strongest to weakest: a
#: withdrawal or refusal is never reported as a plain completion.
OUTCOME_PRIORITY = (DossierStatus.WITHDRAWN, DossierStatus.REFUSED, DossierStatus.RETURNED, DossierStatus.COMPLETED)
#: A step someone still has to do.
OPEN_STATES = (StepState.READY, StepState.CLAIMED)

"""LienThong's workflow engine: BPMN procedures run step by step across agencies (no Flask here).

Typical use::

    from engine import Engine
    engine = Engine(settings=Settings.from_env())
    engine.deploy(open("workflows/mai_tang_phi.bpmn", "rb").read())
    dossier = engine.start_dossier(clerk, "1.001731", {"name": "Nguyễn Văn An"})
    step = engine.inbox(officer)[0]
    engine.claim(officer, step.id)
    engine.complete(officer, step.id, {"ket_qua_tham_dinh": "dat"}, note="Đủ điều kiện")
"""

from engine.accounts import Actor
from engine.calendar import CalendarConfig, OfficeHours, WorkingCalendar
from engine.errors import (
    Conflict,
    DefinitionError,
    ExpressionError,
    FormInvalid,
    InvalidInput,
    LienThongError,
    NotFound,
    PermissionDenied,
    RetryableConflict,
    StateError,
)
from engine.problems import Problem, Severity
from engine.runtime import Engine
from engine.settings import Settings
from engine.statuses import DossierStatus, StepState
from engine.views import DeployResult, DossierView, EventView, ProcedureSummary, StepForm, StepView

__all__ = [
    "Actor",
    "CalendarConfig",
    "Conflict",
    "DefinitionError",
    "DeployResult",
    "DossierStatus",
    "DossierView",
    "Engine",
    "EventView",
    "ExpressionError",
    "FormInvalid",
    "InvalidInput",
    "LienThongError",
    "NotFound",
    "OfficeHours",
    "PermissionDenied",
    "Problem",
    "ProcedureSummary",
    "RetryableConflict",
    "Settings",
    "Severity",
    "StateError",
    "StepForm",
    "StepState",
    "StepView",
    "WorkingCalendar",
]

"""LienThong's workflow engine: BPMN procedures run step by step across agencies (no Flask here).

Typical use::

    from engine import Engine
    engine = Engine("sqlite:///var/lienthong.sqlite")
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
    TooManyAttempts,
)
from engine.problems import Problem, Severity
from engine.ratelimits import count_attempt, forgive_attempt
from engine.runtime import Engine
from engine.sessions import end_sessions, log_in, session_actor
from engine.settings import RateLimit, Settings
from engine.stats import FIRST_DAY, LAST_DAY
from engine.views import DeployResult, DossierView, EventView, ProcedureSummary, StepForm, StepView

__all__ = [  # noqa: RUF022 (plain sorted order, which tests/engine/test_architecture.py checks)
    "Actor",
    "CalendarConfig",
    "Conflict",
    "DefinitionError",
    "DeployResult",
    "DossierView",
    "Engine",
    "EventView",
    "ExpressionError",
    "FIRST_DAY",
    "FormInvalid",
    "InvalidInput",
    "LAST_DAY",
    "LienThongError",
    "NotFound",
    "OfficeHours",
    "PermissionDenied",
    "Problem",
    "ProcedureSummary",
    "RateLimit",
    "RetryableConflict",
    "Settings",
    "Severity",
    "StateError",
    "StepForm",
    "StepView",
    "TooManyAttempts",
    "WorkingCalendar",
    "count_attempt",
    "end_sessions",
    "forgive_attempt",
    "log_in",
    "session_actor",
]

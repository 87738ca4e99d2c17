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

from engine import (
    approval,
    calendar_decisions,
    charts,
    citizen,
    feedback,
    feedback_contacts,
    feedback_stats,
    flowchart,
    guides,
    lanes,
    notifications,
    paperwork,
    reception,
    review_report,
    reviewing,
    spreadsheet,
    steptable,
    survey,
)
from engine.accounts import HANDLING_ROLES, LEVELS, ROLES, Actor, AgencyInfo, may_handle
from engine.admin import change_official, create_agency, create_official
from engine.api_tokens import issue_token, revoke_token, token_actor
from engine.applicants import search_key
from engine.bpmn_model import read_bpmn
from engine.calendar import CalendarConfig, OfficeHours, WorkingCalendar, parse_datetime
from engine.case import case_entries, case_values
from engine.catalog import check_metadata
from engine.citizen import satisfaction_dict, survey_sheet_rows
from engine.dashboard_queries import agency_dashboard, definition_versions
from engine.definitions import Definition, StepSpec, choose_process
from engine.di import has_layout
from engine.directory import (
    agencies,
    agencies_named,
    commune_units,
    lane_agencies,
    officials,
    receiving_agency_id,
)
from engine.documents import (
    KINDS,
    RESULT_STEP_KINDS,
    DocumentCorrupted,
    DocumentInfo,
    Documents,
    content_disposition,
    requirements,
)
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
from engine.filetypes import ACCEPTED, DocumentRejected
from engine.forms import FieldSpec, date_bound, prefill
from engine.lifecycle import NOTICE_KINDS
from engine.overrides import list_overrides, remove_override, set_override
from engine.problems import Problem, Severity, error
from engine.ratelimits import count_attempt, forgive_attempt
from engine.receipts import ReceivedDocument, documents_of, record_documents
from engine.reports import digitisation, dossier_facts, search_dossiers, statistics
from engine.review import Review
from engine.runtime import Engine
from engine.search import STATUSES, SearchPage, SearchQuery
from engine.services.applications import ApplicationView, Upload, UploadedDocument
from engine.sessions import end_sessions, log_in, session_actor
from engine.settings import RateLimit, Settings
from engine.stats import (
    FIRST_DAY,
    FORMULAS,
    GROUPINGS,
    LAST_DAY,
    DigitisationStats,
    DossierFact,
    report,
    to_csv,
)
from engine.statuses import ApplicationStatus, DossierStatus, StepState
from engine.units import UnitInfo
from engine.validation import AgencyRef, lane_refs, validate_bpmn
from engine.views import DeployResult, DossierView, EventView, ProcedureSummary, StepForm, StepView

__all__ = [  # noqa: RUF022 (plain sorted order, which tests/engine/test_architecture.py checks)
    "ACCEPTED",
    "Actor",
    "AgencyInfo",
    "AgencyRef",
    "ApplicationStatus",
    "ApplicationView",
    "CalendarConfig",
    "Conflict",
    "Definition",
    "DefinitionError",
    "DeployResult",
    "DigitisationStats",
    "DocumentCorrupted",
    "DocumentInfo",
    "DocumentRejected",
    "Documents",
    "DossierFact",
    "DossierStatus",
    "DossierView",
    "Engine",
    "EventView",
    "ExpressionError",
    "FIRST_DAY",
    "FORMULAS",
    "FieldSpec",
    "FormInvalid",
    "GROUPINGS",
    "HANDLING_ROLES",
    "InvalidInput",
    "KINDS",
    "LAST_DAY",
    "LEVELS",
    "LienThongError",
    "NOTICE_KINDS",
    "NotFound",
    "OfficeHours",
    "PermissionDenied",
    "Problem",
    "ProcedureSummary",
    "RESULT_STEP_KINDS",
    "ROLES",
    "RateLimit",
    "ReceivedDocument",
    "RetryableConflict",
    "Review",
    "STATUSES",
    "SearchPage",
    "SearchQuery",
    "Settings",
    "Severity",
    "StateError",
    "StepForm",
    "StepSpec",
    "StepState",
    "StepView",
    "TooManyAttempts",
    "UnitInfo",
    "Upload",
    "UploadedDocument",
    "WorkingCalendar",
    "agencies",
    "agencies_named",
    "agency_dashboard",
    "approval",
    "calendar_decisions",
    "case_entries",
    "case_values",
    "change_official",
    "charts",
    "check_metadata",
    "choose_process",
    "citizen",
    "commune_units",
    "content_disposition",
    "count_attempt",
    "create_agency",
    "create_official",
    "date_bound",
    "definition_versions",
    "digitisation",
    "documents_of",
    "dossier_facts",
    "end_sessions",
    "error",
    "feedback",
    "feedback_contacts",
    "feedback_stats",
    "flowchart",
    "forgive_attempt",
    "guides",
    "has_layout",
    "issue_token",
    "lane_agencies",
    "lane_refs",
    "lanes",
    "list_overrides",
    "log_in",
    "may_handle",
    "notifications",
    "officials",
    "paperwork",
    "parse_datetime",
    "prefill",
    "read_bpmn",
    "receiving_agency_id",
    "reception",
    "record_documents",
    "remove_override",
    "report",
    "requirements",
    "review_report",
    "reviewing",
    "revoke_token",
    "satisfaction_dict",
    "search_dossiers",
    "search_key",
    "session_actor",
    "set_override",
    "spreadsheet",
    "statistics",
    "steptable",
    "survey",
    "survey_sheet_rows",
    "to_csv",
    "token_actor",
    "validate_bpmn",
]

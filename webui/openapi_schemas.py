"""The components of the OpenAPI document: the JSON schemas of the API's bodies and answers.

``webui/openapi.py`` assembles the document from these, the responses and the paths; the review of
times brings its own schemas (``webui/openapi_review.py``), merged in here.
"""

from __future__ import annotations

from typing import Any

from webui.openapi_review import REVIEW_SCHEMAS


def ref(name: str) -> dict[str, str]:
    """A reference to the schema ``name`` of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time",
                 "description": "ISO 8601 with the offset of Asia/Ho_Chi_Minh, e.g. 2026-03-02T08:00:00+07:00"}
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 with the offset of Asia/Ho_Chi_Minh, e.g. 2026-03-02T08:00:00+07:00"}
TIMELINESS = {"type": ["string", "null"], "enum": ["early", "on_time", "late", None],
              "description": "Judged when the step was completed; null while it is open"}
STEP_STATE = {"type": "string", "enum": ["ready", "claimed", "completed", "cancelled"]}
DOSSIER_STATUS = {"type": "string", "enum": ["received", "processing", "waiting_supplement", "completed",
                                             "returned", "refused", "withdrawn"]}
COUNT = {"type": "integer", "minimum": 0}
DOCUMENT_KIND = {"type": "string", "enum": ["scan", "opinion", "minutes", "draft", "signed_result", "other"]}

RATE = {"type": ["number", "null"],
        "description": "QĐ 766 on-time rate in percent, one decimal: (early + on_time + open) / (early + on_time "
                       "+ late + overdue + open) over the dossiers received in the period and those carried "
                       "over into it; null when there are none (see 'formulas')"}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"},
        "retryable": {"type": "boolean", "description": "Present and true on a 409 caused by a concurrent "
                      "writer or a busy database: the same request may be sent again (see Retry-After)."}}},
    "FieldErrors": {
        "type": "object", "required": ["error", "errors"],
        "description": "Form data rejected: one message per field id (applicant fields as applicant.<name>).",
        "properties": {"error": {"type": "string"},
                       "errors": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
    "DefinitionErrors": {
        "type": "object", "required": ["errors"],
        "properties": {
            "error": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["line", "element", "message"],
                "properties": {"line": {"type": ["integer", "null"]}, "element": {"type": ["string", "null"]},
                               "message": {"type": "string"}}}},
        },
    },
    "TokenRequest": {
        "type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string", "maxLength": 64}, "password": {"type": "string"}},
    },
    "Token": {
        "type": "object", "required": ["token"],
        "properties": {"token": {"type": "string", "description": "Valid for 12 hours; send as Bearer"}},
    },
    "Procedure": {
        "type": "object",
        "required": ["code", "name", "version", "legal_working_days", "reduced_working_days"],
        "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"},
            "legal_working_days": {"type": "number"},
            "reduced_working_days": {"type": ["number", "null"],
                                     "description": "The limit the province cut it to, if any"},
        },
    },
    "Submitted": {
        "type": "object", "required": ["code", "version", "status"],
        "properties": {"code": {"type": "string"}, "version": {"type": "integer"},
                       "status": {"const": "submitted"}},
    },
    "Reviewed": {
        "type": "object", "required": ["code", "version", "status"],
        "properties": {"code": {"type": "string"}, "version": {"type": "integer"},
                       "status": {"enum": ["published", "sent_back"]}},
    },
    "Applicant": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 255},
                       "id_number": {"type": "string", "maxLength": 32, "pattern": "^[0-9]*$"},
                       "phone": {"type": "string", "maxLength": 32},
                       "email": {"type": "string", "maxLength": 255},
                       "address": {"type": "string", "maxLength": 500}},
    },
    "DossierRequest": {
        "type": "object", "required": ["procedure", "applicant"],
        "properties": {"procedure": {"type": "string", "description": "Procedure code"},
                       "applicant": ref("Applicant"),
                       "data": {"type": "object", "description": "Fields of the procedure's start form"},
                       "commune": {"type": "string", "maxLength": 64,
                                   "description": "Administrative unit code of the commune/ward the dossier "
                                                  "concerns (lienthong unit list); lanes naming an agency kind "
                                                  "resolve to that commune's agency. Default: the desk's unit"}},
    },
    "DossierCreated": {
        "type": "object", "required": ["code", "status", "received_at", "due_at"],
        "properties": {"code": {"type": "string", "description": "<unit code>-<YYMMDD>-<NNNN>"},
                       "procedure": {"type": "string", "description": "With include=open_steps"},
                       "status": DOSSIER_STATUS, "received_at": TIME, "due_at": NULLABLE_TIME,
                       "open_steps": {"type": "array", "items": ref("Step"),
                                      "description": "The first steps; only with include=open_steps"}},
    },
    "Step": {
        "type": "object",
        "required": ["id", "name", "agency", "state", "assignee", "ready_at", "due_at", "completed_at",
                     "timeliness"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "agency": {"type": "string", "description": "Code of the agency handling the step"},
            "state": STEP_STATE,
            "assignee": {"type": ["string", "null"], "description": "Username of the official holding it"},
            "ready_at": TIME, "due_at": NULLABLE_TIME, "completed_at": NULLABLE_TIME, "timeliness": TIMELINESS,
        },
    },
    "Event": {
        "type": "object", "required": ["id", "action", "at", "actor", "step", "details"],
        "properties": {
            "id": {"type": "integer"},
            "action": {"type": "string", "examples": ["dossier.received", "step.claimed", "step.completed"]},
            "at": TIME, "actor": {"type": ["string", "null"], "description": "Username; null for the system"},
            "step": {"type": ["integer", "null"]}, "details": {"type": "object"},
        },
    },
    "Dossier": {
        "type": "object", "required": ["code", "procedure", "status", "received_at", "due_at"],
        "description": "Always with 'steps' and 'events' unless the request's 'include' parameter leaves "
                       "one out.",
        "properties": {
            "code": {"type": "string"}, "procedure": {"type": "string"}, "status": DOSSIER_STATUS,
            "received_at": TIME, "due_at": NULLABLE_TIME,
            "steps": {"type": "array", "items": ref("Step"),
                      "description": "Every step so far, open ones included; absent when 'include' omits steps"},
            "events": {"type": "array", "items": ref("Event"),
                       "description": "The history, oldest first; absent when 'include' omits events"},
            "open_steps": {"type": "array", "items": ref("Step"),
                           "description": "The steps open now (ready or claimed), oldest first; only when "
                                          "'include' names open_steps"},
        },
    },
    "InboxItem": {
        "type": "object", "required": ["id", "dossier", "name", "agency", "state", "assignee", "due_at"],
        "properties": {
            "id": {"type": "integer"}, "dossier": {"type": "string", "description": "Dossier code"},
            "name": {"type": "string"}, "agency": {"type": "string"},
            "state": {"type": "string", "enum": ["ready", "claimed"]},
            "assignee": {"type": ["string", "null"]}, "due_at": NULLABLE_TIME,
        },
    },
    "CompleteRequest": {
        "type": "object",
        "properties": {"data": {"type": "object", "description": "Fields of the step's form"},
                       "note": {"type": "string", "maxLength": 4000, "description": "Handover note"}},
    },
    "Completed": {"type": "object", "required": ["dossier"], "properties": {"dossier": ref("Dossier")}},
    "PublicDossier": {
        "type": "object", "required": ["code", "status", "current_agencies", "due_at", "applicant"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string"}, "status": DOSSIER_STATUS,
            "current_agencies": {"type": "array", "items": {"type": "string"},
                                 "description": "Names of the agencies handling it now"},
            "due_at": NULLABLE_TIME,
            "applicant": {"type": "string", "description": "Masked name, e.g. N***** V** A*"},
        },
    },
    "AgencyStats": {
        "type": "object",
        "required": ["agency", "name", "completed", "early", "on_time", "late", "open", "overdue"],
        "properties": {
            "agency": {"type": "string"}, "name": {"type": "string"},
            "completed": {**COUNT, "description": "Steps completed in the period"},
            "early": COUNT, "on_time": COUNT, "late": COUNT,
            "open": {**COUNT, "description": "Open steps now"},
            "overdue": {**COUNT, "description": "Open steps past their due time now"},
            "on_time_rate": RATE,
        },
    },
    "ProcedureStats": {
        "type": "object",
        "required": ["procedure", "name", "received", "finished", "early", "on_time", "late", "open", "overdue",
                     "average_working_days"],
        "properties": {
            "procedure": {"type": "string"}, "name": {"type": "string"},
            "received": {**COUNT, "description": "Dossiers received in the period"},
            "finished": {**COUNT, "description": "Dossiers finished in the period (early + on_time + late)"},
            "early": COUNT, "on_time": COUNT,
            "late": {**COUNT, "description": "Finished after the due time, or with more than one supplement"},
            "open": {**COUNT, "description": "Dossiers not finished now"},
            "overdue": {**COUNT, "description": "Open dossiers past their due time now (not waiting for a supplement)"},
            "average_working_days": {"type": ["number", "null"],
                                     "description": "Mean working days from the start of counting to the finish"},
            "on_time_rate": RATE,
        },
    },
    "Digitisation": {
        "type": "object", "required": ["name", "received", "with_list", "digitised", "share"],
        "description": "QĐ 766 digitisation: dossiers whose required documents were all scanned at reception. "
                       "Rows carry 'agency' (the receiving desk) or 'procedure'.",
        "properties": {
            "agency": {"type": "string"}, "procedure": {"type": "string"}, "name": {"type": "string"},
            "received": {**COUNT, "description": "Dossiers received in the period"},
            "with_list": {**COUNT, "description": "Of them, those whose procedure lists required documents"},
            "digitised": {**COUNT, "description": "Of those, every required document attached at reception"},
            "share": {"type": ["number", "null"], "description": "digitised / with_list in percent, one decimal"},
        },
    },
    "Stats": {
        "type": "object", "required": ["by_agency", "by_procedure", "digitisation", "formulas"],
        "properties": {"formulas": {"type": "object", "additionalProperties": {"type": "string"},
                                    "description": "How each figure is computed, by name"},
                       "by_agency": {"type": "array", "items": ref("AgencyStats")},
                       "by_procedure": {"type": "array", "items": ref("ProcedureStats")},
                       "digitisation": {"type": "object", "required": ["by_agency", "by_procedure"], "properties": {
                           "by_agency": {"type": "array", "items": ref("Digitisation")},
                           "by_procedure": {"type": "array", "items": ref("Digitisation")}}},
                       "satisfaction": {"type": "object", "description": "SIPAS satisfaction index: the share "
                                        "(percent) of survey question answers at 4 or 5 of 5, over the answers "
                                        "given in the period", "properties": {
                           "version": {"type": "string"}, "overall": {"type": "object"},
                           "by_agency": {"type": "array", "items": {"type": "object"}},
                           "by_procedure": {"type": "array", "items": {"type": "object"}}}},
                       "pakn": ref("PaknFigures")},
    },
    "Document": {
        "type": "object",
        "required": ["id", "dossier", "step", "kind", "requirement", "requirement_name", "filename", "size",
                     "media_type", "sha256", "uploaded_by", "uploaded_at", "at_reception", "url"],
        "properties": {
            "id": {"type": "integer"}, "dossier": {"type": "string", "description": "Dossier code"},
            "step": {"type": ["integer", "null"]}, "kind": DOCUMENT_KIND,
            "requirement": {"type": ["string", "null"], "description": "Key of the required document it scans"},
            "requirement_name": {"type": ["string", "null"]},
            "filename": {"type": "string", "description": "Uploaded name, extension from the detected type"},
            "size": COUNT, "media_type": {"type": "string", "description": "Detected from the content"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "uploaded_by": {"type": "string", "description": "Full name of the official"},
            "uploaded_at": TIME,
            "at_reception": {"type": "boolean", "description": "Scanned by the receiving desk at reception"},
            "url": {"type": "string", "description": "Download address (GET /api/v1/documents/{id})"},
        },
    },
    "DossierDocuments": {
        "type": "object", "required": ["documents", "checklist", "missing"],
        "properties": {
            "documents": {"type": "array", "items": ref("Document")},
            "checklist": {"type": "array", "items": {
                "type": "object", "required": ["key", "name", "required", "documents"],
                "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "required": {"type": "boolean"},
                               "documents": {"type": "array", "items": {"type": "integer"}}}},
                "description": "The procedure's required documents and the ids of the files scanning each"},
            "missing": {"type": "array", "items": {"type": "string"},
                        "description": "Keys of required documents with no file yet"},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": ["code", "procedure", "procedure_name", "applicant", "status", "received_at", "due_at",
                     "finished_at"],
        "properties": {"code": {"type": "string"}, "procedure": {"type": "string"},
                       "procedure_name": {"type": "string"}, "applicant": {"type": "string"},
                       "status": DOSSIER_STATUS, "received_at": TIME, "due_at": NULLABLE_TIME,
                       "finished_at": NULLABLE_TIME},
    },
    "SearchPage": {
        "type": "object", "required": ["items", "page", "per_page", "has_next"],
        "properties": {"items": {"type": "array", "items": ref("SearchHit")}, "page": {"type": "integer"},
                       "per_page": {"type": "integer"}, "has_next": {"type": "boolean"}},
    },
}

SCHEMAS |= REVIEW_SCHEMAS

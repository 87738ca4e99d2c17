"""The OpenAPI 3.1 description of the JSON API under /api/v1, written by hand (a test keeps it in step)."""

from __future__ import annotations

import copy
from typing import Any

from webui.openapi_applications import APPLICATION_PATHS, APPLICATION_SCHEMAS, ONLINE_SHARE
from webui.openapi_feedback import FEEDBACK_PATHS, FEEDBACK_SCHEMAS
from webui.openapi_review import REVIEW_PATHS
from webui.openapi_schemas import (
    COUNT,
    DOCUMENT_KIND,
    DOSSIER_STATUS,
    NULLABLE_TIME,
    RATE,
    SCHEMAS,
    STEP_STATE,
    TIME,
    TIMELINESS,
)
from webui.openapi_schemas import ref as _ref  # the short name every path below uses

# The schemas moved to webui/openapi_schemas.py; their names stay importable from here.
__all__ = ["COUNT", "DOCUMENT", "DOCUMENT_KIND", "DOSSIER_STATUS", "NULLABLE_TIME", "PATHS", "RATE", "RESPONSES",
           "SCHEMAS", "STEP_STATE", "TIME", "TIMELINESS", "VERSION", "document"]

VERSION = "1.0.0"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _resp(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


RESPONSES: dict[str, Any] = {
    "BadRequest": _json(_ref("Error"), "Malformed request or JSON body"),
    "FieldErrors": _json(_ref("FieldErrors"), "Form data rejected; nothing was changed"),
    "Unauthorized": {**_json(_ref("Error"), "Missing, unknown or expired bearer token"),
                     "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    "Forbidden": _json(_ref("Error"), "The official's agency or role does not allow this"),
    "NotFound": _json(_ref("Error"), "No such thing"),
    "Conflict": _json(_ref("Error"), "Claimed by someone else, not claimed by the caller, or already done; "
                      "with retryable=true and Retry-After when a concurrent writer won and a retry is safe"),
    "TooManyRequests": _json(_ref("Error"), "Too many failed sign-ins; try again in a few minutes"),
}

def _path(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


_STEP_ID = {"name": "step_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_INCLUDE = {"name": "include", "in": "query", "required": False,
            "schema": {"type": "array", "items": {"type": "string", "enum": ["steps", "events", "open_steps"]},
                       "uniqueItems": True},
            "style": "form", "explode": False, "example": ["open_steps"],
            "description": "Which of the dossier's lists to return, comma-separated. Absent: steps and "
                           "events, as always. 'steps' alone leaves out the event history, which grows "
                           "with every action. 'open_steps' alone gives only the steps open after the "
                           "action (what to do next): the cheapest answer, built by the engine from the "
                           "rows it just wrote, for a client that moves dossiers along. Any other value "
                           "is 400."}
_CREATE_INCLUDE = {"name": "include", "in": "query", "required": False,
                   "schema": {"type": "array", "items": {"type": "string", "enum": ["open_steps"]},
                              "uniqueItems": True},
                   "style": "form", "explode": False,
                   "description": "'open_steps' adds the procedure and the dossier's first steps to the "
                                  "answer. Any other value is 400."}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
         "example": "000.00.15.H12-260302-0001"}
_PUBLIC: list[dict[str, list[str]]] = []


def _lifecycle_action(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary, "tags": ["dossiers"], "parameters": [_CODE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": _json(_ref("Dossier"), "The dossier after the action"), "400": _resp("BadRequest"),
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound"),
                      "409": _resp("Conflict")},
    }


def _reassign() -> dict[str, Any]:
    op = _step_action("A leader hands an open step of the agency to another of its officials",
                      _json(_ref("Step"), "The step, claimed by the new official"))
    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["to"], "properties": {"to": {"type": "string", "description": "Username"}}}}}}
    op["responses"]["400"] = _resp("BadRequest")
    return op


def _step_action(summary: str, ok: dict[str, Any], *, body: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary, "tags": ["steps"], "parameters": [_STEP_ID, _INCLUDE] if body else [_STEP_ID],
        "responses": {"200": ok, "401": _resp("Unauthorized"), "403": _resp("Forbidden"),
                      "404": _resp("NotFound"), "409": _resp("Conflict")},
    }
    if body:
        op["requestBody"] = {"required": False,
                             "content": {"application/json": {"schema": _ref("CompleteRequest")}}}
        op["responses"]["400"] = _json({"anyOf": [_ref("FieldErrors"), _ref("Error")]},
                                       "Form data rejected (one message per field), or a malformed body or "
                                       "'include'; nothing was changed")
    return op


PATHS: dict[str, Any] = {
    "/api/v1/tokens": {"post": {
        "summary": "Sign in and get a bearer token", "tags": ["auth"], "security": _PUBLIC,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("TokenRequest")}}},
        "responses": {"201": _json(_ref("Token"), "Token issued"), "400": _resp("BadRequest"),
                      "401": _json(_ref("Error"), "Wrong username or password"),
                      "429": _resp("TooManyRequests")},
    }},
    "/api/v1/tokens/revoke": {"post": {
        "summary": "Sign out: revoke the bearer token of this request", "tags": ["auth"],
        "description": "The token stops working at once, in every web process (each request looks its "
                       "token up).",
        "responses": {"204": {"description": "Revoked"}, "401": _resp("Unauthorized")},
    }},
    "/api/v1/procedures": {
        "get": {
            "summary": "Published procedures (latest version of each)", "tags": ["procedures"],
            "responses": {"200": _json({"type": "array", "items": _ref("Procedure")}, "Procedures"),
                          "401": _resp("Unauthorized")},
        },
        "post": {
            "summary": "Submit a BPMN diagram for approval as a new procedure version (designer)",
            "description": "Nothing is received on the version until a leader of the agency named by the "
                           "process's owner_agency property approves it.",
            "tags": ["procedures"],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "contentMediaType": "application/xml"},
                               "metadata": {"type": "string", "contentMediaType": "application/toml",
                                            "description": "Optional procedure metadata (workflows/<name>.toml "
                                                           "format) shown on the public portal"}}}}}},
            "responses": {"201": _json(_ref("Submitted"), "Submitted for approval"),
                          "400": _resp("BadRequest"), "401": _resp("Unauthorized"), "403": _resp("Forbidden"),
                          "409": _json(_ref("Error"), "This file is already a version"),
                          "413": _json(_ref("Error"), "File too large"),
                          "422": _json(_ref("DefinitionErrors"), "The diagram or its metadata is invalid")},
        },
    },
    "/api/v1/procedures/{code}/versions/{version}/changes": {"get": {
        "summary": "What a version changes against the version in force (leader, designer, admin)",
        "tags": ["procedures"], "parameters": [_path("code"), _path("version", "integer")],
        "responses": {"200": _json({"type": "object"}, "Steps added, removed, moved, budgets changed; path totals "
                                   "of both versions against the legal and reduced limits"),
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound")},
    }},
    "/api/v1/procedures/{code}/versions/{version}/approve": {"post": {
        "summary": "Approve a submitted version: it is published and in force (leader of the owning agency)",
        "tags": ["procedures"], "parameters": [_path("code"), _path("version", "integer")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision_number", "decision_date"],
            "properties": {"decision_number": {"type": "string", "maxLength": 128},
                           "decision_date": {"type": "string", "format": "date"}}}}}},
        "responses": {"200": _json(_ref("Reviewed"), "Published"), "400": _resp("BadRequest"),
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound"),
                      "409": _json(_ref("Error"), "Not waiting for approval, or a newer version is in force")},
    }},
    "/api/v1/procedures/{code}/versions/{version}/send-back": {"post": {
        "summary": "Send a submitted version back to the designer with a reason (leader of the owning agency)",
        "tags": ["procedures"], "parameters": [_path("code"), _path("version", "integer")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"],
            "properties": {"reason": {"type": "string", "maxLength": 1000}}}}}},
        "responses": {"200": _json(_ref("Reviewed"), "Sent back"), "400": _resp("BadRequest"),
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound"),
                      "409": _json(_ref("Error"), "Not waiting for approval")},
    }},
    "/api/v1/dossiers": {
        "post": {
            "summary": "Receive a dossier at the desk (clerk)", "tags": ["dossiers"],
            "parameters": [_CREATE_INCLUDE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("DossierRequest")}}},
            "responses": {"201": {**_json(_ref("DossierCreated"), "Received"),
                                  "headers": {"Location": {"schema": {"type": "string"}}}},
                          "400": _resp("FieldErrors"), "401": _resp("Unauthorized"), "403": _resp("Forbidden"),
                          "404": _resp("NotFound")},
        },
        "get": {
            "summary": "Search the dossiers the caller may see, newest received first (clerk, leader, admin)",
            "tags": ["dossiers"],
            "parameters": [
                {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 255},
                 "description": "A dossier code, an ID number (digits), or the start of the applicant's full "
                                "name, diacritics optional ('nguyen van an' finds 'Nguyễn Văn An')"},
                {"name": "status", "in": "query", "required": False, "schema": DOSSIER_STATUS},
                {"name": "procedure", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                 "description": "Received on or after this local date"},
                {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                 "description": "Received on or before this local date"},
                {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
            ],
            "responses": {"200": _json(_ref("SearchPage"), "One page of results"), "400": _resp("BadRequest"),
                          "401": _resp("Unauthorized"), "403": _resp("Forbidden")},
        },
    },
    "/api/v1/dossiers/{code}/documents": {
        "get": {
            "summary": "A dossier's documents and the checklist of its procedure's required documents",
            "tags": ["documents"], "parameters": [_CODE],
            "responses": {"200": _json(_ref("DossierDocuments"), "Documents"), "401": _resp("Unauthorized"),
                          "403": _resp("Forbidden"), "404": _resp("NotFound")},
        },
        "post": {
            "summary": "Attach a file (agencies taking part); its type is judged by its content",
            "tags": ["documents"], "parameters": [_CODE],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream",
                             "description": "PDF, JPEG, PNG, TIFF, DOCX, XLSX, ODT, ODS, DOC or XLS; 20 MB at most"},
                    "kind": {**DOCUMENT_KIND, "default": "scan"},
                    "step": {"type": "integer", "description": "A step of the caller's agency; required for "
                                                               "signed_result (the signing step)"},
                    "requirement": {"type": "string", "description": "Key of the required document it scans"},
                }}}}},
            "responses": {"201": {**_json(_ref("Document"), "Attached"),
                                  "headers": {"Location": {"schema": {"type": "string"}}}},
                          "400": _json(_ref("Error"), "Refused type (e.g. HTML disguised as PDF), kind or step"),
                          "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound"),
                          "413": _json(_ref("Error"), "File too large")},
        },
    },
    "/api/v1/documents/{document_id}": {"get": {
        "summary": "Download a document (always as an attachment, integrity-checked)", "tags": ["documents"],
        "parameters": [{"name": "document_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The file, Content-Disposition: attachment",
                              "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound"),
                      "500": _json(_ref("Error"), "The stored file no longer matches its hash; not served")},
    }},
    "/api/v1/dossiers/{code}": {"get": {
        "summary": "A dossier with its steps and history (agencies taking part only)", "tags": ["dossiers"],
        "parameters": [_CODE, _INCLUDE],
        "responses": {"200": _json(_ref("Dossier"), "The dossier"), "400": _resp("BadRequest"),
                      "401": _resp("Unauthorized"), "403": _resp("Forbidden"), "404": _resp("NotFound")},
    }},
    "/api/v1/inbox": {"get": {
        "summary": "Open steps of the caller's agency, soonest due first", "tags": ["steps"],
        "responses": {"200": _json({"type": "array", "items": _ref("InboxItem")}, "Open steps"),
                      "401": _resp("Unauthorized")},
    }},
    "/api/v1/steps/{step_id}/claim": {"post": _step_action(
        "Take a ready step exclusively", _json(_ref("Step"), "Claimed by the caller"))},
    "/api/v1/steps/{step_id}/unclaim": {"post": _step_action(
        "Give a claimed step back to the agency's queue", _json(_ref("Step"), "Back in the queue"))},
    "/api/v1/steps/{step_id}/complete": {"post": _step_action(
        "Complete a step the caller has claimed", _json(_ref("Completed"), "Completed; the dossier after it"),
        body=True)},
    "/api/v1/dossiers/{code}/supplement-request": {"post": _lifecycle_action(
        "Ask the applicant for a supplement during processing: completes the caller's open step whose decision "
        "field offers 'bo_sung', with the reason as its note (claimed for the caller when free); the dossier "
        "waits for the supplement", {
            "type": "object", "required": ["reason"],
            "properties": {"reason": {"type": "string"},
                           "data": {"type": "object", "description": "Other fields of the step's form"}}})},
    "/api/v1/dossiers/{code}/refusal": {"post": _lifecycle_action(
        "Refuse to resolve the dossier during processing: completes the caller's open step whose decision field "
        "offers a refusal ('khong_dat', 'khong_dong_y' or 'tu_choi'), the reason as its note and in the step's "
        "empty reason field ('ly_do...'); the diagram routes the dossier to its refusal branch", {
            "type": "object", "required": ["reason"],
            "properties": {"reason": {"type": "string"},
                           "data": {"type": "object", "description": "Other fields of the step's form"}}})},
    "/api/v1/dossiers/{code}/supplement-received": {"post": _lifecycle_action(
        "The applicant's supplement arrived: completes the dossier's open supplement step (caller's agency); "
        "the time limit restarts (or resumes) as the settings say", {
            "type": "object", "properties": {"note": {"type": "string"},
                                             "data": {"type": "object", "description": "The step's form fields"}}})},
    "/api/v1/dossiers/{code}/apology": {"post": _lifecycle_action(
        "Mẫu 04: the leader of the agency at fault apologises and sets a new return date, once, at least one "
        "working day before the due time", {
            "type": "object", "required": ["reason", "new_due_at"],
            "properties": {"reason": {"type": "string", "description": "Why the dossier is late"},
                           "new_due_at": {"type": "string", "description": "New return date (YYYY-MM-DD: the end "
                                          "of that working day) or an ISO 8601 date-time in working time"}}})},
    "/api/v1/dossiers/{code}/withdrawal": {"post": _lifecycle_action(
        "The applicant withdraws the dossier at the desk that received it (clerk of that desk)",
        {"type": "object", "properties": {"reason": {"type": "string"}}})},
    "/api/v1/dossiers/{code}/result-collected": {"post": _lifecycle_action(
        "Record how the applicant collected the result (clerk of the returning desk); the answer adds 'collection'",
        {"type": "object", "required": ["method"],
         "properties": {"method": {"type": "string", "enum": ["desk", "post", "online"]},
                        "note": {"type": "string", "maxLength": 500}}})},
    "/api/v1/steps/{step_id}/reassign": {"post": _reassign()},
    "/api/v1/public/dossiers/{code}": {"get": {
        "summary": "Public lookup by dossier code: status, agencies now, appointment, masked name",
        "tags": ["public"], "security": _PUBLIC, "parameters": [_CODE],
        "responses": {"200": _json(_ref("PublicDossier"), "The dossier"), "404": _resp("NotFound"),
                      "429": _resp("TooManyRequests")},
        "description": "Limited per client address (PUBLIC_LOOKUP_RATE_LIMIT, default 30 per minute in each "
                       "web process): dossier codes are sequential, and the limit keeps them from being walked.",
    }},
    "/api/v1/public/dossiers/{code}/survey": {"post": {
        "summary": "The applicant rates the service (SIPAS survey) once per finished dossier, with the "
                   "receipt's secret",
        "tags": ["public"], "security": _PUBLIC, "parameters": [_CODE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["secret", "answers"],
            "properties": {"secret": {"type": "string"}, "answers": {
                "type": "object", "description": "Question key (workflows/survey/sipas.toml) → 1..5; "
                                                 "optional 'comment' (at most 1000 characters)"}}}}}},
        "responses": {"201": _json({"type": "object"}, "Recorded"), "400": _resp("BadRequest"),
                      "403": _resp("Forbidden"), "404": _resp("NotFound"), "409": _resp("Conflict"),
                      "429": _resp("TooManyRequests")},
        "description": "A second answer, or an answer before the dossier is finished, is refused with 409. "
                       "Limited per client address like the public lookup.",
    }},
    "/api/v1/stats": {"get": {
        "summary": "Early / on-time / late figures per agency and per procedure", "tags": ["statistics"],
        "parameters": [
            {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
             "description": "First local date of the period (default: first day of the month of 'to')"},
            {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
             "description": "Last local date of the period, included (default: today)"},
        ],
        "responses": {"200": _json(_ref("Stats"), "Figures"), "400": _resp("BadRequest"),
                      "401": _resp("Unauthorized")},
    }},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "tags": ["meta"], "security": _PUBLIC,
        "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
    }},
}

PATHS |= REVIEW_PATHS | FEEDBACK_PATHS | APPLICATION_PATHS
SCHEMAS |= FEEDBACK_SCHEMAS | APPLICATION_SCHEMAS
SCHEMAS["Digitisation"]["properties"] |= ONLINE_SHARE

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "LienThong API",
        "version": VERSION,
        "description": ("Inter-agency administrative procedures (thủ tục hành chính liên thông): receive "
                        "dossiers, handle steps agency by agency, look dossiers up. Get a token with "
                        "POST /api/v1/tokens and send it as 'Authorization: Bearer <token>'. Errors are "
                        "JSON objects with an 'error' message."),
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "tags": [{"name": n} for n in ("auth", "procedures", "dossiers", "steps", "public", "statistics", "review",
                                   "feedback", "meta")],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "Token from POST /api/v1/tokens, valid 12 hours"}},
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


def document() -> dict[str, Any]:
    """A copy of the OpenAPI document (callers may change it freely)."""
    return copy.deepcopy(DOCUMENT)

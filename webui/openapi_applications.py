"""Online applications in the OpenAPI document: the citizen's submission, status and re-submission,
the desk's queue and decisions; and the online share of the statistics (QĐ 766)."""

from __future__ import annotations

from typing import Any

_PUBLIC: list[Any] = []
_REF = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40},
        "description": "The application's public reference, e.g. TT-7KQ2M-XH4PA"}
_TIME = {"type": "string", "format": "date-time"}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_APP = {"$ref": "#/components/schemas/Application"}
_ERRORS = {"400": _r("FieldErrors"), "401": _r("Unauthorized"), "403": _r("Forbidden"), "404": _r("NotFound")}
_TOO_LARGE = _json({"$ref": "#/components/schemas/Error"}, "A file larger than LIENTHONG_MAX_DOCUMENT_BYTES, "
                   "or a request larger than LIENTHONG_MAX_REQUEST_BYTES")
_FILES = {"type": "string", "format": "binary",
          "description": "One part per required document, named by its requirement key (the procedure's "
                         "metadata 'documents', key as GET /api/v1/dossiers/{code}/documents lists them); "
                         "judged by content: PDF, JPEG, PNG, TIFF, Word, Excel, ODF"}

APPLICATION_SCHEMAS: dict[str, Any] = {
    "Application": {"type": "object", "required": ["reference", "status", "procedure", "documents"], "properties": {
        "reference": {"type": "string"},
        "status": {"type": "string", "enum": ["submitted", "supplement_requested", "accepted", "refused"]},
        "procedure": {"type": "string"}, "procedure_name": {"type": "string"},
        "applicant": {"type": "object", "description": "name, id_number, phone, email, address"},
        "commune": {"type": ["string", "null"]}, "data": {"type": "object"},
        "agency": {"type": "string", "description": "The agency whose desk receives it"},
        "agency_name": {"type": "string"},
        "reason": {"type": ["string", "null"], "description": "Why the desk asked for a supplement or refused"},
        "requested": {"type": "array", "items": {"type": "string"},
                      "description": "The documents the desk asked for"},
        "documents": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "requirement": {"type": "string"}, "requirement_name": {"type": "string"},
            "filename": {"type": "string"}, "size": {"type": "integer"}, "media_type": {"type": "string"},
            "uploaded_at": _TIME}}},
        "submitted_at": _TIME, "updated_at": _TIME,
        "dossier": {"type": ["string", "null"], "description": "The dossier's code once accepted"},
        "dossier_secret": {"type": "string", "description": "Public view only, once accepted: the receipt's "
                                                            "secret (result download, survey)"},
    }},
}

APPLICATION_PATHS: dict[str, Any] = {
    "/api/v1/public/applications": {"post": {
        "summary": "Apply online: the reception form, the applicant, the commune and the required documents",
        "tags": ["public"], "security": _PUBLIC,
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["procedure", "applicant"], "properties": {
                "procedure": {"type": "string"},
                "applicant": {"type": "string", "description": "JSON object: name (required), id_number, "
                                                               "phone, email (one of phone and email required), "
                                                               "address"},
                "data": {"type": "string", "description": "JSON object: the procedure's reception form"},
                "commune": {"type": "string", "description": "Unit code of the commune or ward"},
            }, "additionalProperties": _FILES}}}},
        "description": "No account. Limited per client address (LIENTHONG_APPLICATION_RATE_LIMIT). Every "
                       "error at once under 'errors' (applicant.<field>, <form field>, commune, "
                       "documents.<key>); nothing is stored when any is refused. The secret is shown once.",
        "responses": {"201": {**_json({"type": "object", "required": ["reference", "secret"], "properties": {
            "reference": {"type": "string"}, "secret": {"type": "string"}}}, "Submitted"),
            "headers": {"Location": {"schema": {"type": "string"}}}},
            "400": _r("FieldErrors"), "404": _r("NotFound"), "413": _TOO_LARGE, "429": _r("TooManyRequests")},
    }},
    "/api/v1/public/applications/{reference}": {"get": {
        "summary": "The applicant follows an application with its secret: status, reason, the dossier once "
                   "accepted",
        "tags": ["public"], "security": _PUBLIC, "parameters": [_REF, {
            "name": "secret", "in": "query", "required": True, "schema": {"type": "string"}}],
        "description": "A wrong secret answers 404 as an unknown reference does; wrong secrets are limited per "
                       "reference and address (LIENTHONG_RESULT_SECRET_RATE_LIMIT).",
        "responses": {"200": _json(_APP, "The application"), "404": _r("NotFound"),
                      "429": _r("TooManyRequests")},
    }},
    "/api/v1/public/applications/{reference}/documents": {"post": {
        "summary": "After a supplement request: the documents asked for; the application returns to the "
                   "desk's queue",
        "tags": ["public"], "security": _PUBLIC, "parameters": [_REF],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}},
            "additionalProperties": _FILES}}}},
        "responses": {"200": _json(_APP, "Submitted again"), "400": _r("FieldErrors"), "404": _r("NotFound"),
                      "409": _r("Conflict"), "413": _TOO_LARGE, "429": _r("TooManyRequests")},
    }},
    "/api/v1/applications": {"get": {
        "summary": "The desk's queue of online applications (clerk: their agency's; oldest first)",
        "tags": ["dossiers"], "parameters": [{
            "name": "status", "in": "query", "required": False, "schema": {
                "type": "string", "enum": ["submitted", "supplement_requested", "accepted", "refused", "all"],
                "default": "submitted"}}],
        "responses": {"200": _json({"type": "array", "items": _APP}, "Applications"), **_ERRORS},
    }},
    "/api/v1/applications/{reference}": {"get": {
        "summary": "One online application (the desk receiving it)", "tags": ["dossiers"], "parameters": [_REF],
        "responses": {"200": _json(_APP, "The application"), **_ERRORS},
    }},
    "/api/v1/applications/{reference}/documents/{document_id}": {"get": {
        "summary": "An uploaded file of an application, as an attachment (the desk receiving it)",
        "tags": ["dossiers"], "parameters": [_REF, {"name": "document_id", "in": "path", "required": True,
                                                    "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The file, Content-Disposition: attachment",
                              "content": {"application/octet-stream": {}}}, **_ERRORS},
    }},
    "/api/v1/applications/{reference}/accept": {"post": {
        "summary": "Receive the application as a dossier (as POST /api/v1/dossiers; due time from now)",
        "tags": ["dossiers"], "parameters": [_REF],
        "responses": {"201": {**_json({"$ref": "#/components/schemas/DossierCreated"}, "Received"),
                              "headers": {"Location": {"schema": {"type": "string"}}}},
                      "409": _r("Conflict"), **_ERRORS},
    }},
    "/api/v1/applications/{reference}/supplement-request": {"post": {
        "summary": "Ask the applicant for a supplement (Mẫu 02); the reason shows on the public status",
        "tags": ["dossiers"], "parameters": [_REF],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string"},
                "documents": {"type": "array", "items": {"type": "string"}, "maxItems": 30,
                              "description": "Requirement keys of the documents to supplement"}}}}}},
        "responses": {"200": _json(_APP, "Supplement requested"), "409": _r("Conflict"), **_ERRORS},
    }},
    "/api/v1/applications/{reference}/refusal": {"post": {
        "summary": "Refuse the application (Mẫu 03), with the reason; final",
        "tags": ["dossiers"], "parameters": [_REF],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
        "responses": {"200": _json(_APP, "Refused"), "409": _r("Conflict"), **_ERRORS},
    }},
}

#: The online share beside the digitisation figures of /api/v1/stats.
ONLINE_SHARE: dict[str, Any] = {
    "online": {"type": "integer", "minimum": 0, "description": "Of the received, those received online"},
    "online_share": {"type": ["number", "null"], "description": "online / received in percent, one decimal "
                                                                "(QĐ 766)"},
}

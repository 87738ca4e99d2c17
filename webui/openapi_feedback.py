"""Feedback and petitions (PAKN) in the OpenAPI document (routes in webui/feedback_api.py)."""

from __future__ import annotations

from typing import Any

_TIME = {"type": ["string", "null"], "format": "date-time"}
_REF = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
_PUBLIC: list[dict[str, list[str]]] = []
_STATUS = {"type": "string", "enum": ["received", "answered", "closed"]}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_SHARE = {"type": ["number", "null"], "description": "Percent with one decimal (null when nothing to judge)"}
_FIGURES = {"type": "object", "properties": {
    "agency": {"type": "string"}, "name": {"type": "string"}, "received": {"type": "integer"},
    "answered": {"type": "integer"}, "answered_on_time": {"type": "integer"}, "overdue_open": {"type": "integer"},
    "on_time_share": _SHARE, "rated": {"type": "integer"}, "satisfied": {"type": "integer"},
    "satisfied_share": _SHARE}}

FEEDBACK_SCHEMAS: dict[str, Any] = {
    "Feedback": {"type": "object", "properties": {
        "reference": {"type": "string"}, "procedure": {"type": "string"}, "dossier": {"type": ["string", "null"]},
        "agency": {"type": "string"}, "agency_name": {"type": "string"}, "name": {"type": "string"},
        "contact": {"type": "string"}, "text": {"type": "string"}, "status": _STATUS, "received_at": _TIME,
        "due_at": _TIME, "answer": {"type": ["string", "null"]}, "answered_by": {"type": ["string", "null"]},
        "answered_at": _TIME, "on_time": {"type": ["boolean", "null"]}, "published": {"type": "boolean"},
        "rating": {"type": ["integer", "null"]}}},
    "PaknFigures": {"type": "object", "description": "In /api/v1/stats as 'pakn': feedback received in the "
                    "period; on_time_share = answered_on_time / (answered + overdue_open) * 100, "
                    "satisfied_share = ratings of 4 or 5 / ratings * 100",
                    "properties": {"overall": _FIGURES, "by_agency": {"type": "array", "items": _FIGURES},
                                   "formulas": {"type": "object"}}},
}

FEEDBACK_PATHS: dict[str, Any] = {
    "/api/v1/public/procedures/{code}/guides": {"get": {
        "summary": "Filling guides of a procedure's forms, and each online-application field's guide",
        "tags": ["public"], "security": _PUBLIC,
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "procedure": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Start-form field id or applicant.<field> → guide text"},
            "forms": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "source": {"type": ["string", "null"], "description": "null while unconfirmed"},
                "unconfirmed": {"type": "boolean"}, "blank_pdf": {"type": "string"},
                "sample_pdf": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object"}}}}}}},
            "Guides"), "404": _r("NotFound")},
    }},
    "/api/v1/public/feedback": {
        "post": {
            "summary": "A citizen sends feedback on a procedure, or on a dossier proved with its receipt secret",
            "tags": ["public"], "security": _PUBLIC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "text"], "properties": {
                    "procedure": {"type": "string", "description": "Procedure code (or 'dossier', not both)"},
                    "dossier": {"type": "string"}, "secret": {"type": "string", "description": "The dossier's "
                                                              "receipt secret, with 'dossier'"},
                    "agency": {"type": "string", "description": "One of the procedure's responsible agencies "
                                                                "(default: the first)"},
                    "name": {"type": "string", "maxLength": 120},
                    "contact": {"type": "string", "maxLength": 120, "description": "E-mail or phone, optional"},
                    "text": {"type": "string", "minLength": 10, "maxLength": 4000}}}}}},
            "responses": {"201": _json({"type": "object", "properties": {
                "reference": {"type": "string"}, "secret": {"type": "string"}, "due_at": _TIME,
                "agency": {"type": "string"}}}, "Received; the secret is shown only now"),
                "400": _r("BadRequest"), "403": _r("Forbidden"), "404": _r("NotFound"),
                "429": _r("TooManyRequests")},
            "description": "A wrong dossier secret and an unknown dossier code get the same 403. Limited per "
                           "client address (LIENTHONG_FEEDBACK_RATE_LIMIT).",
        },
        "get": {
            "summary": "Published answers (personal data removed), newest first", "tags": ["public"],
            "security": _PUBLIC,
            "parameters": [{"name": "procedure", "in": "query", "required": False, "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "array", "items": {"type": "object"}}, "Published answers")},
        },
    },
    "/api/v1/public/feedback/{reference}": {"get": {
        "summary": "The sender follows a feedback: status, deadline, answer", "tags": ["public"],
        "security": _PUBLIC,
        "parameters": [_REF, {"name": "secret", "in": "query", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json({"type": "object"}, "Status and answer"), "400": _r("BadRequest"),
                      "403": _r("Forbidden"), "429": _r("TooManyRequests")},
        "description": "A wrong secret and an unknown reference get the same 403.",
    }},
    "/api/v1/public/feedback/{reference}/rating": {"post": {
        "summary": "The sender rates the answer once (1-5); this closes the feedback", "tags": ["public"],
        "security": _PUBLIC, "parameters": [_REF],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["secret", "rating"],
            "properties": {"secret": {"type": "string"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5}}}}}},
        "responses": {"201": _json({"type": "object"}, "Rated"), "400": _r("BadRequest"), "403": _r("Forbidden"),
                      "409": _r("Conflict"), "429": _r("TooManyRequests")},
    }},
    "/api/v1/feedback": {"get": {
        "summary": "The feedback sent to the official's agency (every agency's for an administrator)",
        "tags": ["feedback"],
        "parameters": [{"name": "status", "in": "query", "required": False, "schema": _STATUS}],
        "responses": {"200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Feedback"}}, "Queue"),
                      "400": _r("BadRequest"), "401": _r("Unauthorized")},
    }},
    "/api/v1/feedback/{reference}": {"get": {
        "summary": "One feedback, with the sender's name and contact", "tags": ["feedback"], "parameters": [_REF],
        "responses": {"200": _json({"$ref": "#/components/schemas/Feedback"}, "The feedback"),
                      "401": _r("Unauthorized"), "403": _r("Forbidden"), "404": _r("NotFound")},
    }},
    "/api/v1/feedback/{reference}/answer": {"post": {
        "summary": "An official of the responsible agency answers (once), optionally publishing it",
        "tags": ["feedback"], "parameters": [_REF],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["answer"],
            "properties": {"answer": {"type": "string", "maxLength": 8000}, "publish": {"type": "boolean"}}}}}},
        "responses": {"200": _json({"$ref": "#/components/schemas/Feedback"}, "Answered"), "400": _r("BadRequest"),
                      "401": _r("Unauthorized"), "403": _r("Forbidden"), "404": _r("NotFound"),
                      "409": _r("Conflict")},
    }},
}

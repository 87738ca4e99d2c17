"""The review of times in the OpenAPI document: where the days go, and what-if before a cut."""

from __future__ import annotations

from typing import Any

_DATE = {"type": "string", "format": "date"}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1,
          "description": "A share between 0 and 1 (null when nothing was judged)"}
_HOURS = {"type": ["number", "null"], "description": "Working hours"}
_SPREAD = {"type": "object", "required": ["p50", "p90", "max"],
           "properties": {"p50": _HOURS, "p90": _HOURS, "max": _HOURS},
           "description": "Nearest-rank percentiles and the maximum, in working hours"}
_OUTCOME: dict[str, Any] = {"type": "object", "properties": {
    "on_time_share": _SHARE, "judged": {"type": "integer"},
    "mean_days": {"type": ["number", "null"], "description": "Mean working days from counting start to finish"},
    "p90_days": {"type": ["number", "null"]}}}
_PERIOD = [
    {"name": "from", "in": "query", "required": False, "schema": _DATE,
     "description": "First local date of receipt (default: 364 days before 'to')"},
    {"name": "to", "in": "query", "required": False, "schema": _DATE,
     "description": "Last local date of receipt, included (default: today)"},
]
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
           "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"}}

REVIEW_SCHEMAS: dict[str, Any] = {
    "Review": {"type": "object", "required": ["steps", "variants", "dossiers", "on_time_share"], "properties": {
        "procedure": {"type": "string"}, "name": {"type": "string"}, "from": _DATE, "to": _DATE,
        "dossiers": {"type": "integer", "description": "Dossiers received in the period"},
        "judged": {"type": "integer", "description": "Of them, those judged on time or late"},
        "on_time_share": _SHARE, "mean_days": {"type": ["number", "null"]}, "p90_days": {"type": ["number", "null"]},
        "unattributed_lateness_share": _SHARE,
        "steps": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string", "description": "The step's element id in the diagram"},
            "name": {"type": "string"}, "passes": {"type": "integer"},
            "waiting_hours": _SPREAD | {"description": "From ready to claimed"},
            "working_hours": _SPREAD | {"description": "From claimed to completed"},
            "on_time_share": _SHARE, "lateness_share": _SHARE | {
                "description": "The step's part of all dossiers' lateness (by its overrun of its own due time)"},
            "late": {"type": "integer"}, "agencies": {"type": "array", "items": {"type": "string"}},
            "budget_days": {"type": "number"}}}},
        "variants": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "array", "items": {"type": "string"}}, "count": {"type": "integer"}}}},
        "supplements": {"type": "object", "properties": {"dossiers": {"type": "integer"},
                                                          "requests": {"type": "integer"}}},
        "loops": {"type": "array", "items": {"type": "object", "properties": {
            "step": {"type": "string"}, "extra_passes": {"type": "integer"}}}},
        "by_month": {"type": "array", "items": {"type": "object", "properties": {
            "month": {"type": "string"}, "judged": {"type": "integer"}, "on_time_share": _SHARE}}},
    }},
    "WhatIf": {"type": "object", "required": ["baseline", "predicted", "method"], "properties": {
        "baseline": _OUTCOME,
        "predicted": _OUTCOME | {"properties": _OUTCOME["properties"] | {"steps_becoming_late": {
            "type": "array", "items": {"type": "object", "properties": {
                "step": {"type": "string"}, "name": {"type": "string"}, "late_before": {"type": "integer"},
                "late_after": {"type": "integer"}}}}}},
        "method": {"type": "string"}, "from": _DATE, "to": _DATE}},
}

REVIEW_PATHS: dict[str, Any] = {
    "/api/v1/procedures/{code}/review": {"get": {
        "summary": "Where the days go: per step waiting and working time, on-time and lateness shares, variants",
        "tags": ["review"], "parameters": [_CODE, *_PERIOD],
        "description": "For leaders, process designers and administrators. Dossiers received in the period.",
        "responses": {"200": {"description": "The review", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Review"}}}}, **_ERRORS},
    }},
    "/api/v1/procedures/{code}/what-if": {"post": {
        "summary": "Predict the on-time share and times if step budgets, the legal limit or staffing changed",
        "tags": ["review"], "parameters": [_CODE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["changes"], "properties": {
                "from": _DATE, "to": _DATE,
                "changes": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"oneOf": [
                    {"type": "object", "required": ["step", "working_days"], "properties": {
                        "step": {"type": "string"}, "working_days": {"type": "number", "minimum": 0,
                                                                      "maximum": 365}}},
                    {"type": "object", "required": ["legal_working_days"], "properties": {
                        "legal_working_days": {"type": "number", "exclusiveMinimum": 0, "maximum": 365}}},
                    {"type": "object", "required": ["agency", "officials"], "properties": {
                        "agency": {"type": "string"}, "officials": {"type": "integer", "minimum": -100,
                                                                    "maximum": 100}}},
                ]}}}}}}},
        "description": "Budget and limit changes replay the history against the new limits; staffing changes "
                       "simulate each step of the agency as a first-come-first-served queue in working time.",
        "responses": {"200": {"description": "Baseline and prediction", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/WhatIf"}}}}, **_ERRORS},
    }},
}

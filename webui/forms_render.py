"""Step and start-event forms from camunda:formData: one widget per FieldSpec, values read back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine import FieldSpec, date_bound

#: Prefix of the form inputs for diagram fields, so a field id never clashes with our own inputs.
PREFIX = "field-"
#: A string field longer than this becomes a textarea.
TEXTAREA_FROM = 200


@dataclass(frozen=True)
class Widget:
    """How one field is drawn: the element, its HTML attributes, the current value and any error."""

    spec: FieldSpec
    element: str  # input, textarea, select, checkbox
    attrs: dict[str, Any] = field(default_factory=dict)
    value: str = ""
    checked: bool = False
    error: str = ""
    prefix: str = PREFIX

    @property
    def name(self) -> str:
        return self.prefix + self.spec.id

    @property
    def dom_id(self) -> str:
        own = "f-" if self.prefix == PREFIX else self.prefix
        return own + "".join(c if c.isalnum() or c in "-_" else "_" for c in self.spec.id)


def _attrs(spec: FieldSpec, today: date) -> tuple[str, dict[str, Any]]:
    c = spec.constraints
    attrs: dict[str, Any] = {}
    if spec.required:
        attrs["required"] = True
    if spec.readonly:
        attrs["readonly"] = True
    if spec.type == "long":
        attrs.update(type="number", step="1")
        for name in ("min", "max"):
            if c.get(name):
                attrs[name] = c[name]
        return "input", attrs
    if spec.type == "decimal":
        attrs.update(type="text", inputmode="decimal")
        return "input", attrs
    if spec.type == "date":
        attrs["type"] = "date"
        for name in ("min", "max"):
            bound = date_bound(spec, name, today)
            if bound is not None:
                attrs[name] = bound.isoformat()
        return "input", attrs
    if spec.type == "file":
        return "file", attrs
    if spec.type == "enum":
        return "select", attrs
    if spec.type == "boolean":
        return "checkbox", attrs
    for name in ("minlength", "maxlength"):
        if str(c.get(name, "")).isdigit():
            attrs[name] = c[name]
    if c.get("pattern"):
        attrs["pattern"] = c["pattern"]
    if "cccd" in c:
        attrs.update(inputmode="numeric", pattern=r"\d{12}", maxlength="12")
    if "phone" in c:
        attrs.update(type="tel", autocomplete="tel")
    if "email" in c:
        attrs.update(type="email", autocomplete="email")
    long_text = str(c.get("maxlength", "")).isdigit() and int(c["maxlength"]) > TEXTAREA_FROM
    return ("textarea" if long_text else "input"), attrs


def widgets(fields: Iterable[FieldSpec], values: Mapping[str, Any] | None = None,
            errors: Mapping[str, str] | None = None, today: date | None = None,
            prefix: str = PREFIX) -> list[Widget]:
    """Widgets for ``fields`` showing ``values`` (entered or stored) and inline ``errors``."""
    values = values or {}
    errors = errors or {}
    today = today or date.today()
    out = []
    for spec in fields:
        element, attrs = _attrs(spec, today)
        raw = values.get(spec.id, None if spec.default_is_expression else spec.default)
        text = "" if raw is None else str(raw)
        checked = element == "checkbox" and text.strip().casefold() in ("true", "1", "on", "yes", "có")
        out.append(Widget(spec, element, attrs, text, checked, errors.get(spec.id, ""), prefix))
    return out


def read_values(fields: Sequence[FieldSpec], form: Mapping[str, Any], prefix: str = PREFIX) -> dict[str, Any]:
    """The submitted values of ``fields`` (a missing checkbox is False, a blank input is absent)."""
    out: dict[str, Any] = {}
    for spec in fields:
        raw = form.get(prefix + spec.id)
        if spec.type == "file":  # the id of a document already attached (see steps.attach_uploads)
            if raw is not None and str(raw).strip():
                out[spec.id] = str(raw).strip()
            continue
        if spec.type == "boolean":
            out[spec.id] = "true" if raw is not None else "false"
        elif raw is not None and str(raw).strip() != "":
            out[spec.id] = raw
    return out

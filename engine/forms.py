"""Validate step form data against the step's camunda:formData fields; one message per field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import FormInvalid

#: Longest text accepted in a field without its own maxlength.
DEFAULT_MAX_LENGTH = 4000
TRUE_WORDS = frozenset({"true", "1", "on", "yes", "co", "có"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", "khong", "không", ""})


@dataclass(frozen=True)
class FieldSpec:
    """One form field of a step, as the designer declared it."""

    id: str
    label: str
    type: str = "string"
    required: bool = False
    enum_values: tuple[tuple[str, str], ...] = ()
    constraints: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "type": self.type, "required": self.required,
                "enum_values": [list(v) for v in self.enum_values], "constraints": dict(self.constraints),
                "default": self.default}


def _constraint_number(spec: FieldSpec, name: str) -> Decimal | None:
    raw = spec.constraints.get(name)
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _clean_one(spec: FieldSpec, raw: Any) -> Any:
    """Return the typed value or raise ValueError with the field's message."""
    kind = spec.type
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().casefold()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError("phải là có hoặc không (must be true or false)")
    if kind == "long":
        if isinstance(raw, bool):
            raise ValueError("phải là số nguyên (must be a whole number)")
        if isinstance(raw, int):
            value = raw
        else:
            text = str(raw).strip().replace(".", "").replace(" ", "") if isinstance(raw, str) else str(raw)
            try:
                value = int(text)
            except ValueError:
                raise ValueError("phải là số nguyên (must be a whole number)") from None
        if abs(value) > 10**15:
            raise ValueError("số quá lớn (number too large)")
        low, high = _constraint_number(spec, "min"), _constraint_number(spec, "max")
        if low is not None and value < low:
            raise ValueError(f"phải ≥ {low} (must be at least {low})")
        if high is not None and value > high:
            raise ValueError(f"phải ≤ {high} (must be at most {high})")
        return value
    if kind == "date":
        text = str(raw).strip()
        try:
            value_date = date.fromisoformat(text)
        except ValueError:
            raise ValueError("ngày không hợp lệ, dạng YYYY-MM-DD (invalid date)") from None
        for name, cmp in (("min", lambda a, b: a < b), ("max", lambda a, b: a > b)):
            bound = spec.constraints.get(name)
            if bound:
                try:
                    if cmp(value_date, date.fromisoformat(bound)):
                        raise ValueError(f"ngày phải {'từ' if name == 'min' else 'đến'} {bound}")
                except ValueError as exc:
                    if "ngày phải" in str(exc):
                        raise
        return value_date.isoformat()
    if kind == "enum":
        text = str(raw).strip()
        allowed = [v[0] for v in spec.enum_values]
        if text not in allowed:
            raise ValueError("giá trị không nằm trong danh sách (value not among the choices)")
        return text
    # string and any other declared type are read as text
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
        raise ValueError("phải là văn bản (must be text)")
    text = str(raw).strip()
    low, high = _constraint_number(spec, "minlength"), _constraint_number(spec, "maxlength")
    limit = int(high) if high is not None else DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise ValueError(f"dài tối đa {limit} ký tự (at most {limit} characters)")
    if low is not None and len(text) < low:
        raise ValueError(f"dài tối thiểu {low} ký tự (at least {low} characters)")
    return text


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def validate_form(fields: Sequence[FieldSpec], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the cleaned, typed values for every field; raise FormInvalid listing each bad field.

    Absent optional fields get their default (booleans: False, others: None) so that gateway
    conditions can always read them. Keys that are not fields of the form are refused.
    """
    data = dict(data or {})
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    known = {f.id for f in fields}
    for key in data:
        if key not in known:
            errors[str(key)[:64]] = "trường không có trong biểu mẫu (not a field of this form)"
    for spec in fields:
        raw = data.get(spec.id)
        if spec.readonly:
            if not _is_blank(raw) and str(raw) != str(spec.default or ""):
                errors[spec.id] = "trường chỉ đọc (read-only field)"
            if spec.default is not None:
                cleaned[spec.id] = spec.default
            continue
        if _is_blank(raw) or (spec.type == "boolean" and raw is None):
            if spec.required and spec.type != "boolean":
                errors[spec.id] = "bắt buộc nhập (required)"
                continue
            if spec.required and spec.type == "boolean" and raw is None:
                errors[spec.id] = "bắt buộc chọn (required)"
                continue
            if spec.type == "boolean":
                cleaned[spec.id] = _clean_default_bool(spec)
            elif spec.default not in (None, ""):
                try:
                    cleaned[spec.id] = _clean_one(spec, spec.default)
                except ValueError:
                    cleaned[spec.id] = None
            else:
                cleaned[spec.id] = None
            continue
        try:
            cleaned[spec.id] = _clean_one(spec, raw)
        except ValueError as exc:
            errors[spec.id] = str(exc)
    if errors:
        raise FormInvalid(errors)
    return cleaned


def _clean_default_bool(spec: FieldSpec) -> bool:
    return str(spec.default or "").strip().casefold() in TRUE_WORDS

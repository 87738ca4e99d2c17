"""Validate form data against a step's ``camunda:formData`` fields: every bad field reported at once.

Types: the Camunda ones (``string``, ``long``, ``boolean``, ``date``, ``enum``) plus ``decimal``
(an exact number kept as text, ``10000000.5`` stays ``"10000000.5"``) and ``file`` (the id of a
document attached to the dossier). Constraints are ``camunda:constraint`` names as Camunda Modeler
writes them (``required``, ``readonly``, ``minlength``, ``maxlength``, ``min``, ``max``,
``pattern``) plus LienThong's ``cccd``, ``phone`` and ``email``; a date's ``min``/``max`` may be
``today`` (``max="today"``: not in the future). docs/modelling.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import ExpressionError, FormInvalid

#: Longest text accepted in a field without its own maxlength.
DEFAULT_MAX_LENGTH = 4000
#: Largest magnitude of a whole or decimal number, and most digits after the point.
MAX_NUMBER = 10**15
MAX_DECIMAL_PLACES = 6
TRUE_WORDS = frozenset({"true", "1", "on", "yes", "co", "có"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", "khong", "không", ""})
#: Field types a diagram may declare.
TYPES = frozenset({"string", "long", "decimal", "boolean", "date", "enum", "file"})
#: Constraint names a diagram may use (Camunda's, then LienThong's own).
CONSTRAINTS = frozenset({"required", "readonly", "minlength", "maxlength", "min", "max", "pattern",
                         "cccd", "phone", "email"})
TODAY = "today"

_GROUPED = re.compile(r"\A[+-]?\d{1,3}(?:\.\d{3})+\Z")  # 10.000.000 (Vietnamese thousands)
_WHOLE = re.compile(r"\A[+-]?\d{1,20}\Z")
_DECIMAL = re.compile(r"\A[+-]?\d{1,20}(?:[.,]\d{1,20})?\Z")
_CCCD = re.compile(r"\A\d{12}\Z")
_PHONE = re.compile(r"\A(?:0|\+84)\d{9,10}\Z")
_PHONE_SEPARATORS = re.compile(r"[ .\-()]")
_EMAIL = re.compile(r"\A[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+\Z")


class Message(str):
    """A Vietnamese message that also carries its template and parameters, so a page in another
    language can translate it (``template % params``)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text


class _Refused(ValueError):
    def __init__(self, template: str, **params: Any):
        super().__init__(template)
        self.message = Message(template, **params)


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

    @property
    def default_is_expression(self) -> bool:
        text = (self.default or "").strip()
        return text[:2] in ("${", "#{") and text.endswith("}")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "type": self.type, "required": self.required,
                "enum_values": [list(v) for v in self.enum_values], "constraints": dict(self.constraints),
                "default": self.default}


def _bound(spec: FieldSpec, name: str) -> Decimal | None:
    raw = spec.constraints.get(name)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def date_bound(spec: FieldSpec, name: str, today: date) -> date | None:
    """The field's ``min``/``max`` date (``today`` resolved), or None when absent or unreadable."""
    raw = str(spec.constraints.get(name) or "").strip()
    if not raw:
        return None
    if raw.casefold() == TODAY:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _in_range(spec: FieldSpec, value: Decimal) -> None:
    if abs(value) > MAX_NUMBER:
        raise _Refused("số quá lớn")
    low, high = _bound(spec, "min"), _bound(spec, "max")
    if low is not None and value < low:
        raise _Refused("phải từ %(low)s trở lên", low=low)
    if high is not None and value > high:
        raise _Refused("phải không quá %(high)s", high=high)


def _whole(spec: FieldSpec, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Refused("phải là số nguyên")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer() and abs(raw) <= MAX_NUMBER:
        value = int(raw)
    elif isinstance(raw, str | Decimal) and not isinstance(raw, float):
        text = str(raw).strip().replace(" ", "")
        if _GROUPED.match(text):
            text = text.replace(".", "")
        if not _WHOLE.match(text):
            raise _Refused("phải là số nguyên")
        value = int(text)
    else:
        raise _Refused("phải là số nguyên")
    _in_range(spec, Decimal(value))
    return value


def _decimal(spec: FieldSpec, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _Refused("phải là số")
    text = (repr(raw) if isinstance(raw, float) else str(raw)).strip().replace(" ", "")
    if not _DECIMAL.match(text):
        raise _Refused("phải là số, phần thập phân sau dấu phẩy")
    value = Decimal(text.replace(",", "."))
    if -value.as_tuple().exponent > MAX_DECIMAL_PLACES:  # type: ignore[operator]
        raise _Refused("nhiều nhất %(places)s chữ số sau dấu phẩy", places=MAX_DECIMAL_PLACES)
    _in_range(spec, value)
    return format(value, "f")


def _date(spec: FieldSpec, raw: Any, today: date) -> str:
    try:
        value = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise _Refused("ngày không hợp lệ (dạng năm-tháng-ngày)") from None
    low, high = date_bound(spec, "min", today), date_bound(spec, "max", today)
    if low is not None and value < low:
        raise _Refused("ngày phải từ %(day)s trở đi", day=low.strftime("%d/%m/%Y"))
    if high is not None and value > high:
        if str(spec.constraints.get("max")).strip().casefold() == TODAY:
            raise _Refused("ngày không được sau hôm nay")
        raise _Refused("ngày phải đến %(day)s là muộn nhất", day=high.strftime("%d/%m/%Y"))
    return value.isoformat()


def _text(spec: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
        raise _Refused("phải là văn bản")
    text = str(raw).strip()
    low, high = _bound(spec, "minlength"), _bound(spec, "maxlength")
    limit = int(high) if high is not None else DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise _Refused("dài tối đa %(limit)s ký tự", limit=limit)
    if low is not None and len(text) < low:
        raise _Refused("dài tối thiểu %(low)s ký tự", low=int(low))
    c = spec.constraints
    if "cccd" in c and not _CCCD.match(text):
        raise _Refused("số định danh cá nhân (CCCD) gồm đúng 12 chữ số")
    if "phone" in c:
        if not _PHONE.match(_PHONE_SEPARATORS.sub("", text)):
            raise _Refused("số điện thoại không hợp lệ (10–11 chữ số, bắt đầu bằng 0 hoặc +84)")
        text = " ".join(text.split())
    if "email" in c and (len(text) > 254 or not _EMAIL.match(text)):
        raise _Refused("địa chỉ thư điện tử không hợp lệ")
    pattern = c.get("pattern")
    if pattern:
        try:
            matched = re.fullmatch(pattern, text) is not None
        except re.error:
            matched = False
        if not matched:
            raise _Refused("không đúng định dạng yêu cầu")
    return text


def _clean_one(spec: FieldSpec, raw: Any, today: date) -> Any:
    """Return the typed value or raise _Refused with the field's message."""
    kind = spec.type
    if kind == "boolean":
        if isinstance(raw, bool):
            value = raw
        else:
            text = str(raw).strip().casefold()
            if text not in TRUE_WORDS | FALSE_WORDS:
                raise _Refused("phải là có hoặc không")
            value = text in TRUE_WORDS
        if spec.required and not value:
            raise _Refused("phải đánh dấu")
        return value
    if kind == "long":
        return _whole(spec, raw)
    if kind == "decimal":
        return _decimal(spec, raw)
    if kind == "date":
        return _date(spec, raw, today)
    if kind == "enum":
        text = str(raw).strip()
        if text not in [v[0] for v in spec.enum_values]:
            raise _Refused("giá trị không nằm trong danh sách")
        return text
    if kind == "file":
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
            raise _Refused("hãy đính kèm tệp")
        return str(int(str(raw).strip()))
    return _text(spec, raw)


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


#: The applicant's particulars taken at every desk, checked like any form field.
APPLICANT_FIELDS = (
    FieldSpec("name", "Họ và tên người nộp", required=True, constraints={"maxlength": "255"}),
    FieldSpec("id_number", "Số định danh cá nhân", constraints={"cccd": ""}),
    FieldSpec("phone", "Số điện thoại", constraints={"phone": "", "maxlength": "32"}),
    FieldSpec("email", "Thư điện tử", constraints={"email": "", "maxlength": "254"}),
    FieldSpec("address", "Địa chỉ", constraints={"maxlength": "500"}),
)


def check_applicant(applicant: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The applicant's cleaned particulars (spacing collapsed) and the errors, keyed ``applicant.<field>``."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in APPLICANT_FIELDS:
        raw = applicant.get(spec.id) if isinstance(applicant, Mapping) else None
        text = " ".join(str(raw).split()) if raw is not None and not isinstance(raw, bool) else ""
        try:
            values[spec.id] = validate_form([spec], {spec.id: text})[spec.id] or ""
        except FormInvalid as exc:
            errors[f"applicant.{spec.id}"] = exc.errors[spec.id]
            values[spec.id] = text
    return values, errors


def validate_form(fields: Sequence[FieldSpec], data: Mapping[str, Any] | None, *,
                  today: date | None = None, pending: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the cleaned, typed values for every field; raise FormInvalid listing every bad field.

    Absent optional fields get their literal default (booleans: False, others: None) so that
    gateway conditions can always read them. Keys that are not fields of the form are refused.
    ``today`` (the engine's clock, local date) resolves ``min``/``max`` of ``today``; ``pending``
    are errors found elsewhere in the same submission (the applicant's), reported together.
    """
    today = today or date.today()
    data = dict(data or {})
    errors: dict[str, str] = dict(pending or {})
    cleaned: dict[str, Any] = {}
    known = {f.id for f in fields}
    for key in data:
        if key not in known:
            errors[str(key)[:64]] = Message("trường không có trong biểu mẫu")
    for spec in fields:
        raw = data.get(spec.id)
        literal = None if spec.default_is_expression else spec.default
        if spec.readonly:
            if not _is_blank(raw) and str(raw) != str(literal or ""):
                errors[spec.id] = Message("trường chỉ đọc")
            if literal is not None:
                cleaned[spec.id] = literal
            continue
        if _is_blank(raw):
            if spec.required:
                errors[spec.id] = Message("phải đánh dấu" if spec.type == "boolean" else "bắt buộc nhập")
                continue
            if spec.type == "boolean":
                cleaned[spec.id] = str(literal or "").strip().casefold() in TRUE_WORDS
            elif literal not in (None, ""):
                try:
                    cleaned[spec.id] = _clean_one(spec, literal, today)
                except _Refused:
                    cleaned[spec.id] = None
            else:
                cleaned[spec.id] = None
            continue
        try:
            cleaned[spec.id] = _clean_one(spec, raw, today)
        except _Refused as exc:
            errors[spec.id] = exc.message
    if errors:
        raise FormInvalid(errors)
    return cleaned


def prefill(fields: Sequence[FieldSpec], case: Mapping[str, Any]) -> dict[str, Any]:
    """Starting values of a form: each field's default, an expression default (``${so_tien}``)
    evaluated in the expression sandbox over the dossier's data so far. A default that cannot be
    evaluated (a value not entered yet) leaves the field empty."""
    from engine.expressions import evaluate

    out: dict[str, Any] = {}
    for spec in fields:
        if spec.default is None:
            continue
        if not spec.default_is_expression:
            out[spec.id] = spec.default
            continue
        try:
            value = evaluate(spec.default, case)
        except (ExpressionError, KeyError, NameError, TypeError, ValueError, ArithmeticError):
            continue
        if value is not None:
            out[spec.id] = value
    return out

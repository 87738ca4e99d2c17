"""What the validator says about a step's form and role: field types, constraints, default
expressions and ``camunda:candidateGroups``, each problem with its line."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from engine import expressions
from engine.accounts import STEP_ROLES
from engine.bpmn_model import FlowNode, FormField
from engine.errors import ExpressionError
from engine.forms import CONSTRAINTS, TODAY, TYPES

#: Flow node kinds whose role the validator checks (the human steps).
ROLE_KINDS = frozenset({"userTask", "manualTask", "task"})


def _number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except (InvalidOperation, ValueError):
        return False


def _field_problems(node: FlowNode, f: FormField) -> list[str]:
    where = f"Trường «{f.label or f.id}» của «{node.name or node.id}»"
    out = []
    if f.type not in TYPES:
        out.append(f"{where} có kiểu «{f.type}» không được hỗ trợ; dùng một trong {', '.join(sorted(TYPES))}")
    for name, config in f.constraints.items():
        if name not in CONSTRAINTS:
            out.append(f"{where} có ràng buộc «{name}» không được hỗ trợ; dùng một trong "
                       f"{', '.join(sorted(CONSTRAINTS))}")
        elif name in ("minlength", "maxlength") and not config.strip().isdigit():
            out.append(f"{where}: {name} phải là số nguyên không âm, nhận «{config}»")
        elif name in ("min", "max") and f.type == "date":
            if config.strip().casefold() != TODAY:
                try:
                    date.fromisoformat(config.strip())
                except ValueError:
                    out.append(f"{where}: {name} của trường ngày phải là năm-tháng-ngày hoặc «today», "
                               f"nhận «{config}»")
        elif name in ("min", "max") and not _number(config.strip()):
            out.append(f"{where}: {name} phải là một số, nhận «{config}»")
        elif name == "pattern":
            try:
                re.compile(config)
            except re.error:
                out.append(f"{where}: biểu thức chính quy «{config}» không hợp lệ")
    if f.default and f.default.strip()[:2] in ("${", "#{"):
        try:
            expressions.check_expression(f.default)
        except ExpressionError as exc:
            out.append(f"{where}: giá trị mặc định «{f.default}» bị từ chối: {exc}")
    return out


def node_problems(node: FlowNode) -> list[str]:
    """The problems of one flow node's form and role, as messages (the caller adds the line)."""
    out = []
    if node.kind in ROLE_KINDS and node.candidate_groups and node.candidate_groups not in STEP_ROLES:
        out.append(f"Bước «{node.name or node.id}» giao cho nhóm «{node.candidate_groups}» "
                   f"(camunda:candidateGroups); dùng một trong {', '.join(STEP_ROLES)}")
    for f in node.form:
        out.extend(_field_problems(node, f))
    return out

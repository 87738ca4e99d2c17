"""What a diagram drawn for Camunda asks that LienThong does not do, said in LienThong's terms.

Camunda Modeler offers fields that LienThong's engine never reads: a form key, an assignee,
candidate groups and script languages other than Python. A diagram using them still runs, but
not as its author meant, so the validator says what LienThong uses instead: forms from
``camunda:formData``, the step's lane (its agency) for who handles it, roles for who may claim.
A loop that no official takes part in would spin until the engine's loop bound: it is named too.
"""

from __future__ import annotations

from lxml import etree

from engine.bpmn_model import CAMUNDA_NS, Process
from engine.paths import loops_without
from engine.problems import Problem, warning

_C = "{" + CAMUNDA_NS + "}"
#: The roles of the handling officials: a candidate group naming one of them is how LienThong reads it.
ROLE_GROUPS = frozenset({"clerk", "officer", "leader"})
#: Script formats the sandbox runs (an empty format is taken as Python).
SCRIPT_FORMATS = frozenset({"", "python", "python3", "py"})
#: Step kinds an official completes, or that wait for time to pass: a loop holding one is not a spin.
WAITING_KINDS = frozenset({"userTask", "manualTask", "task", "intermediateCatchEvent"})


def script_format_message(element: etree._Element, label: str) -> str | None:
    """Why a script task's language cannot run, or None when it is Python."""
    fmt = (element.get("scriptFormat") or "").strip()
    if fmt.casefold() in SCRIPT_FORMATS:
        return None
    return (f"Định dạng script «{fmt}» của {label} không được hỗ trợ: LienThong chỉ chạy script Python "
            f"trong hộp cát (script format not supported)")


def service_task_hint() -> str:
    return ("; hãy dùng userTask nếu cán bộ làm việc này, hoặc scriptTask (Python) nếu chỉ là phép tính "
            "(use a user task, or a Python script task)")


def attribute_warnings(process: Process, element: etree._Element | None) -> list[Problem]:
    """One WARNING per Camunda attribute the engine ignores, saying what LienThong uses instead."""
    if element is None:
        return []
    problems: list[Problem] = []
    for el in element.iter():
        if not isinstance(el.tag, str):
            continue
        node = process.nodes.get(el.get("id") or "")
        if node is None:
            continue
        label = f"«{' '.join(node.name.split()) or node.id}»"
        if el.get(_C + "formKey"):
            problems.append(warning(
                f"camunda:formKey của {label} bị bỏ qua: LienThong hiển thị biểu mẫu từ camunda:formData "
                f"(the form comes from camunda:formData)", node.line, node.id))
        if el.get(_C + "assignee"):
            problems.append(warning(
                f"camunda:assignee của {label} bị bỏ qua: bước thuộc cơ quan của làn chứa nó, cán bộ của cơ "
                f"quan đó tự nhận bước (the lane's agency handles the step)", node.line, node.id))
        groups = {g.strip().casefold() for g in (el.get(_C + "candidateGroups") or "").split(",") if g.strip()}
        if groups - ROLE_GROUPS:
            problems.append(warning(
                f"camunda:candidateGroups «{', '.join(sorted(groups - ROLE_GROUPS))}» của {label} bị bỏ qua: "
                f"LienThong chỉ hiểu các vai trò clerk, officer, leader; ai xử lý là do làn (cơ quan) quyết định "
                f"(only the roles clerk, officer, leader are read)", node.line, node.id))
    return problems


def loop_warnings(process: Process) -> list[Problem]:
    """A WARNING for each loop with no step an official completes and no timer to wait on."""
    problems: list[Problem] = []
    for group in loops_without(process, WAITING_KINDS):
        first = process.nodes[group[0]]
        names = " → ".join(" ".join(process.nodes[i].name.split()) or i for i in group)
        problems.append(warning(
            f"Vòng lặp «{names}» không có bước nào do cán bộ xử lý: bộ máy sẽ chạy lặp đến giới hạn rồi "
            f"dừng hồ sơ; hãy thêm một bước của cán bộ vào vòng lặp (loop without a user task)",
            first.line, first.id))
    return problems

"""``lienthong validate``: check a BPMN file and answer in the designer's terms, line by line.

Every check reports a Problem with the line and element id. Nothing here raises on bad input:
malformed XML, a file that is not BPMN, a DOCTYPE or an oversized file all become an ERROR.

Executable processes (``isExecutable="true"``) get the full set of checks; a process that is not
executable can still be published as a flowchart, so it gets only the structural checks and one
WARNING. Human steps are ``userTask``, ``manualTask`` and plain ``task``: all three become a step
an official completes, so all three need a ``working_days`` budget.

This module answers for a whole file and holds the structural checks; the executable-only checks are
``engine.validation_executable``, the lane-to-agency matching ``engine.validation_lanes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path as FilePath

from lxml import etree

from engine.bpmn_model import BPMN_NS, BpmnDocument, check_root, read_root
from engine.diagram_limits import size_problems
from engine.errors import DefinitionError
from engine.problems import Problem, error, warning
from engine.validation_executable import HUMAN_KINDS, MAX_PATH_PROBLEMS, ProcessCheck, node_label, unsupported_reason
from engine.validation_lanes import AgencyRef, lane_agency, lane_refs
from engine.xmlsafe import parse_xml

__all__ = [
    "HUMAN_KINDS",
    "MAX_PATH_PROBLEMS",
    "AgencyRef",
    "lane_agency",
    "lane_refs",
    "unsupported_reason",
    "validate_bpmn",
    "validate_file",
]

_B = "{" + BPMN_NS + "}"


def _structure(root: etree._Element, doc: BpmnDocument) -> list[Problem]:
    """Checks that hold for every process, executable or not."""
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for el in root.iter():  # ids of BPMN, DI and DC elements; an extension's own "id" attributes are its own
        if not isinstance(el.tag, str) or not el.tag.startswith("{http://www.omg.org/spec/"):
            continue
        ident = el.get("id")
        if ident is None:
            continue
        line = el.sourceline or 0
        if ident in first_line:
            problems.append(error(f"Mã (id) «{ident}» bị trùng, đã dùng ở dòng {first_line[ident]}", line, ident))
        else:
            first_line[ident] = line
    if not doc.processes:
        problems.append(error("Tệp không chứa quy trình (process) nào",
                              root.sourceline or 0, root.get("id")))
    all_nodes: set[str] = set()
    participants = {pt.id for pt in doc.participants}
    for process in doc.processes:
        all_nodes.update(process.nodes)
        for node in process.nodes.values():
            if not node.id:
                problems.append(error(f"Phần tử <{node.kind}> thiếu thuộc tính id", node.line))
        for flow in process.flows.values():
            if not flow.id:
                problems.append(error("Luồng (sequenceFlow) thiếu thuộc tính id", flow.line))
            shown = flow.name or flow.id
            bad = False
            for end, ref in (("nguồn", flow.source), ("đích", flow.target)):
                if ref not in process.nodes:
                    bad = True
                    problems.append(error(
                        f"Luồng «{shown}» có {end} «{ref}» không phải phần tử nào của quy trình",
                        flow.line, flow.id or None))
            if not bad and process.nodes[flow.source].parent_id != process.nodes[flow.target].parent_id:
                problems.append(error(
                    f"Luồng «{shown}» nối hai phần tử ở hai cấp khác nhau (trong và ngoài quy trình con)",
                    flow.line, flow.id))
        for node in process.nodes.values():
            if node.attached_to is not None and node.attached_to not in process.nodes:
                problems.append(error(
                    f"Sự kiện biên {node_label(node)} gắn vào phần tử không tồn tại «{node.attached_to}»",
                    node.line, node.id))
    for mf in doc.message_flows:
        for end, ref in (("nguồn", mf.source), ("đích", mf.target)):
            if ref not in all_nodes and ref not in participants:
                problems.append(error(
                    f"Luồng thông điệp «{mf.name or mf.id}» có {end} «{ref}» không tồn tại", mf.line, mf.id))
    return problems


def _validate(data: bytes, agencies: Sequence[AgencyRef] | None, filename: str) -> list[Problem]:
    root = parse_xml(data).getroot()
    check_root(root)
    too_large = size_problems(root)
    if too_large:
        return too_large
    doc = read_root(root)
    problems = _structure(root, doc)
    elements = {el.get("id"): el for el in root.iterchildren(_B + "process")}
    for process in doc.processes:
        if not process.executable:
            name = " ".join(process.name.split()) or process.id
            problems.append(warning(
                f"Quy trình «{name}» không đánh dấu isExecutable=\"true\": có thể công bố nhưng không chạy "
                f"được", process.line, process.id))
            continue
        problems.extend(ProcessCheck(process, elements.get(process.id), agencies, filename).run())
    return problems


def validate_bpmn(data: bytes, agencies: Sequence[AgencyRef] | None = None, *,
                  file: str = "") -> list[Problem]:
    """Every problem of a BPMN file, sorted by line; never raises."""
    try:
        problems = _validate(data, agencies, file)
    except DefinitionError as exc:
        problems = list(exc.problems)
    except TypeError:
        problems = [error("Dữ liệu không phải là nội dung tệp")]
    except Exception as exc:  # a validator must answer, whatever it was given
        problems = [error(f"Không kiểm tra được tệp: {type(exc).__name__}: {exc}")]
    return sorted((replace(p, file=file) for p in problems), key=lambda p: p.line)


def validate_file(path: str | FilePath, agencies: Sequence[AgencyRef] | None = None) -> list[Problem]:
    """Validate a BPMN file on disk; an unreadable file is one ERROR."""
    try:
        data = FilePath(path).read_bytes()
    except OSError as exc:
        return [replace(error(f"Không đọc được tệp: {exc.strerror or exc}"),
                        file=str(path))]
    return validate_bpmn(data, agencies, file=str(path))

"""Bounds on what a diagram may ask of the engine: its size, and every number it carries.

A diagram is untrusted input, and each number in it becomes work: a working-day count is walked
day by day by the calendar, a loop bound is a number of runs, a cardinality a number of parallel
instances. None of these has a ceiling in law (decisions publish limits of a few to a few dozen
working days), so the ceilings here are engineering bounds, far above any published procedure:

==============================  =========================  ======================================
number                          where                      bound
==============================  =========================  ======================================
legal / reduced limit           process properties          0 < days ≤ 3,650 working days
a step's ``working_days``       human step properties       0 ≤ days ≤ 3,650
timer duration                  ``timeDuration``            ≤ 3,650 working days
timer date                      ``timeDate``                years 2000 to 2100
loop bound                      ``loopMaximum``             whole number 1 to 100
multi-instance cardinality      ``loopCardinality``         whole number 1 to 100 (when a number)
flow nodes / sequence flows     the whole file              400 / 1,000
lanes                           the whole file              200
==============================  =========================  ======================================

The size bound keeps the validator's work small whatever it checks (the largest shipped
procedure has about 40 elements), and keeps every path within SpiffWorkflow's recursive parser.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from engine.bpmn_model import BPMN_NS, FLOW_NODE_KINDS, FlowNode, Process
from engine.calendar import MAX_WORKING_DAYS  # the calendar refuses the same counts
from engine.paths import parse_duration
from engine.problems import Problem, error

#: Timer dates must fall in these years (inclusive).
TIMER_YEARS = (2000, 2100)
#: ``loopMaximum`` and a literal ``loopCardinality``.
MAX_LOOP = 100
MAX_INSTANCES = 100
MAX_FLOW_NODES = 400
MAX_SEQUENCE_FLOWS = 1000
MAX_LANES = 200

_B = "{" + BPMN_NS + "}"
_WHOLE = re.compile(r"[0-9]{1,9}")
_SIGNED = re.compile(r"[+-]?[0-9]+")  # a literal number (anything else is an expression, bounded at run time)
_FLOW_NODE_TAGS = frozenset(_B + kind for kind in FLOW_NODE_KINDS)


def size_problems(root: etree._Element) -> list[Problem]:
    """One ERROR per bound the file exceeds (counted on the raw tree, before anything else is read)."""
    nodes = flows = lanes = 0
    for el in root.iter(_B + "*"):
        tag = el.tag
        if tag in _FLOW_NODE_TAGS:
            nodes += 1
        elif tag == _B + "sequenceFlow":
            flows += 1
        elif tag == _B + "lane":
            lanes += 1
    problems = []
    for count, bound, what in ((nodes, MAX_FLOW_NODES, "phần tử luồng (flow node)"),
                               (flows, MAX_SEQUENCE_FLOWS, "luồng (sequence flow)"),
                               (lanes, MAX_LANES, "làn (lane)")):
        if count > bound:
            problems.append(error(
                f"Sơ đồ có {_thousands(count)} {what}, tối đa {_thousands(bound)}: hãy chia thủ tục thành các quy "
                f"trình nhỏ hơn (the diagram is larger than the validator accepts)", root.sourceline or 0))
    return problems


def _thousands(number: int | Decimal) -> str:
    return f"{number:,}".replace(",", ".")


def days_over(value: Decimal | None) -> bool:
    """Whether a number of working days exceeds :data:`MAX_WORKING_DAYS`."""
    return value is not None and value > MAX_WORKING_DAYS


def days_message(what: str, raw: str) -> str:
    return (f"{what} «{raw}» vượt giới hạn {_thousands(MAX_WORKING_DAYS)} ngày làm việc (more working days "
            f"than the engine accepts)")


def _number(text: str | None) -> Decimal | None:
    try:
        value = Decimal((text or "").strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _label(node: FlowNode) -> str:
    name = " ".join(node.name.split())
    return f"«{name}»" if name else f"«{node.id}»"


def number_problems(process: Process, element: etree._Element | None) -> list[Problem]:
    """Every number of one executable process checked against its range (the process's own checks
    say when a number is missing, unreadable or negative; this says when it is too large)."""
    problems: list[Problem] = []
    for key in ("legal_working_days", "reduced_working_days"):
        raw = process.properties.get(key, "")
        if days_over(_number(raw)):
            problems.append(error(days_message(key, raw), process.line, process.id))
    for node in process.nodes.values():
        raw = node.properties.get("working_days", "")
        if days_over(_number(raw)):
            problems.append(error(days_message(f"working_days của bước {_label(node)}", raw), node.line, node.id))
        if node.timer and node.timer_kind == "duration" and days_over(parse_duration(node.timer)):
            problems.append(error(days_message(f"Thời hạn hẹn giờ của {_label(node)}", node.timer.strip()),
                                  node.line, node.id))
        if node.timer and node.timer_kind == "date":
            try:
                year = datetime.fromisoformat(node.timer.strip().strip("\"'")).year
            except ValueError:
                continue  # unreadable: said by the timer check
            if not TIMER_YEARS[0] <= year <= TIMER_YEARS[1]:
                problems.append(error(
                    f"Ngày giờ hẹn «{node.timer.strip()}» của {_label(node)} phải trong các năm "
                    f"{TIMER_YEARS[0]}–{TIMER_YEARS[1]} (timer date out of range)", node.line, node.id))
    if element is not None:
        problems.extend(_loop_problems(element))
    return problems


def _loop_problems(element: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for loop in element.iter(_B + "standardLoopCharacteristics"):
        owner = loop.getparent()
        raw = loop.get("loopMaximum")
        if raw is not None and not _whole_in_range(raw, MAX_LOOP):
            problems.append(error(
                f"Số lần lặp tối đa loopMaximum «{raw}» của «{owner.get('name') or owner.get('id')}» phải là "
                f"số nguyên từ 1 đến {MAX_LOOP} (loop bound out of range)", loop.sourceline or 0, owner.get("id")))
    for multi in element.iter(_B + "multiInstanceLoopCharacteristics"):
        owner = multi.getparent()
        for cardinality in multi.iterchildren(_B + "loopCardinality"):
            raw = "".join(cardinality.itertext()).strip()
            if _SIGNED.fullmatch(raw) and not _whole_in_range(raw, MAX_INSTANCES):
                problems.append(error(
                    f"Số lượt song song loopCardinality «{raw}» của «{owner.get('name') or owner.get('id')}» "
                    f"phải từ 1 đến {MAX_INSTANCES} (multi-instance cardinality out of range)",
                    cardinality.sourceline or 0, owner.get("id")))
    return problems


def _whole_in_range(raw: str, bound: int) -> bool:
    text = raw.strip()
    return _WHOLE.fullmatch(text) is not None and 1 <= int(text) <= bound

"""Paths through one process: enumeration with working-day budgets, reachability, the main path.

A path is one sequence of flow nodes from a top-level start event to a top-level end event, each
node at most once. Gateways are not interpreted: every outgoing flow of every node is an
alternative, so the branches of a parallel split are separate paths and the longest of them is
the critical one. An embedded subprocess is entered (its inner start to its inner end) and left
by its outgoing flows; a boundary event is an alternative branch from its activity.

Budget of a path: the ``working_days`` property of every step on it (containers excluded, their
contents count) plus intermediate catch timers with a duration, read as working time (``P2D`` is
2 days, ``PT4H`` half a day at 8 hours a day). Boundary timers are not added: they fire *instead
of* the remaining work of their activity, whose own budget already counts.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from engine.bpmn_model import CONTAINER_KINDS, FlowNode, Process
from engine.statuses import DossierStatus

#: More paths than this are not enumerated; the report says it was cut.
DEFAULT_PATH_LIMIT = 5000
#: Bound on the search itself, for graphs that branch a lot without reaching an end.
MAX_SEARCH_STEPS = 500_000
HOURS_PER_DAY = Decimal(8)

ACTIVITY_KINDS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
})
#: End-event ``outcome`` values that do not end the procedure with its result.
NON_RESULT_OUTCOMES = frozenset({DossierStatus.REFUSED, DossierStatus.WITHDRAWN})

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+(?:[.,]\d+)?)Y)?(?:(?P<mo>\d+(?:[.,]\d+)?)M)?(?:(?P<w>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<d>\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<mi>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class Path:
    """One path from a start event to an end event, with its working-day total."""

    node_ids: tuple[str, ...]
    budget: Decimal

    @property
    def start_id(self) -> str:
        return self.node_ids[0]

    @property
    def end_id(self) -> str:
        return self.node_ids[-1]


@dataclass
class PathReport:
    """Every path found, and whether the enumeration stopped at its bound."""

    paths: list[Path] = field(default_factory=list)
    truncated: bool = False


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_duration(text: str | None, hours_per_day: Decimal = HOURS_PER_DAY) -> Decimal | None:
    """An ISO 8601 duration as working days (W = 5 days, H = 1/hours_per_day); None if unreadable.

    Years and months have no fixed number of working days, so they are unreadable here. The text
    may be quoted (``"P2D"``), as SpiffWorkflow wants it written.
    """
    if not text:
        return None
    raw = text.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        raw = raw[1:-1].strip()
    match = _DURATION.match(raw.upper())
    if match is None or match["y"] or match["mo"]:
        return None
    parts = {k: _decimal(v) if v else Decimal(0) for k, v in match.groupdict().items()}
    if any(v is None for v in parts.values()):
        return None
    days = (parts["w"] or Decimal(0)) * 5 + (parts["d"] or Decimal(0))
    seconds = ((parts["h"] or Decimal(0)) * 3600 + (parts["mi"] or Decimal(0)) * 60
               + (parts["s"] or Decimal(0)))
    return days + seconds / (hours_per_day * 3600)


def working_days(node: FlowNode) -> Decimal | None:
    """The node's ``working_days`` property as a Decimal; None when absent or not a number."""
    raw = node.properties.get("working_days")
    if raw is None:
        return None
    return _decimal(raw)


def node_budget(node: FlowNode, hours_per_day: Decimal = HOURS_PER_DAY) -> Decimal:
    """What one node adds to a path's total, in working days."""
    if node.kind in CONTAINER_KINDS:
        return Decimal(0)
    if node.kind == "intermediateCatchEvent" and node.timer_kind == "duration":
        return parse_duration(node.timer, hours_per_day) or Decimal(0)
    days = working_days(node)
    return days if days is not None and days > 0 else Decimal(0)


class _Graph:
    """Successor lists of one process, built once."""

    def __init__(self, process: Process):
        self.process = process
        nodes = process.nodes
        self.flow_targets: dict[str, list[str]] = {nid: [] for nid in nodes}
        self.boundaries: dict[str, list[str]] = {nid: [] for nid in nodes}
        self.inner_starts: dict[str, list[str]] = {nid: [] for nid in nodes}
        self.event_subprocesses: dict[str | None, list[str]] = {}
        for node in nodes.values():
            for fid in node.outgoing:
                flow = process.flows.get(fid)
                if flow is not None and flow.target in nodes:
                    self.flow_targets[node.id].append(flow.target)
            if node.attached_to in nodes:
                self.boundaries[node.attached_to].append(node.id)
            if node.kind == "startEvent" and not node.incoming and node.parent_id in nodes:
                self.inner_starts[node.parent_id].append(node.id)
            if node.kind in CONTAINER_KINDS and node.triggered_by_event:
                self.event_subprocesses.setdefault(node.parent_id, []).append(node.id)

    def top_starts(self) -> list[str]:
        return [n.id for n in self.process.nodes.values()
                if n.kind == "startEvent" and n.parent_id is None and not n.incoming]

    def reach_successors(self, node_id: str) -> list[str]:
        """Every node the token may move to next, into subprocesses included."""
        return (self.flow_targets[node_id] + self.boundaries[node_id] + self.inner_starts[node_id]
                + self.event_subprocesses.get(node_id, []))

    def path_successors(self, node: FlowNode) -> list[str] | None:
        """Next nodes along a path; None when the path is complete here."""
        nodes = self.process.nodes
        if node.kind in CONTAINER_KINDS and self.inner_starts[node.id]:
            return self.inner_starts[node.id] + self.boundaries[node.id]
        if node.kind == "endEvent":
            parent = nodes.get(node.parent_id) if node.parent_id else None
            if parent is None:
                return None
            if parent.triggered_by_event:
                return []
            return self.flow_targets[parent.id]
        return self.flow_targets[node.id] + self.boundaries[node.id]


def enumerate_paths(process: Process, limit: int = DEFAULT_PATH_LIMIT,
                    hours_per_day: Decimal = HOURS_PER_DAY) -> PathReport:
    """All acyclic paths from each top-level start event to an end event, up to ``limit``."""
    graph = _Graph(process)
    nodes = process.nodes
    budgets = {nid: node_budget(node, hours_per_day) for nid, node in nodes.items()}
    report = PathReport()
    steps = 0
    for start in graph.top_starts():
        # Iterative depth-first search: a chain of thousands of steps must not hit recursion limits.
        path: list[str] = [start]
        on_path: set[str] = {start}
        stack: list[tuple[list[str], int]] = []
        succ = graph.path_successors(nodes[start])
        if succ is None:
            report.paths.append(Path((start,), budgets[start]))
            continue
        stack.append((succ, 0))
        while stack:
            steps += 1
            if steps > MAX_SEARCH_STEPS:
                report.truncated = True
                return report
            choices, index = stack[-1]
            if index >= len(choices):
                stack.pop()
                on_path.discard(path.pop())
                continue
            stack[-1] = (choices, index + 1)
            nxt = choices[index]
            if nxt in on_path:
                continue
            nxt_succ = graph.path_successors(nodes[nxt])
            if nxt_succ is None:
                ids = (*path, nxt)
                report.paths.append(Path(ids, sum((budgets[i] for i in ids), Decimal(0))))
                if len(report.paths) >= limit:
                    report.truncated = True
                    return report
                continue
            path.append(nxt)
            on_path.add(nxt)
            stack.append((nxt_succ, 0))
    return report


def reachable_nodes(process: Process) -> set[str]:
    """Ids of the nodes a token can reach from a top-level start (or as an event subprocess)."""
    graph = _Graph(process)
    roots = graph.top_starts() + graph.event_subprocesses.get(None, [])
    seen: set[str] = set(roots)
    queue = deque(roots)
    while queue:
        for nxt in graph.reach_successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def unreachable_nodes(process: Process) -> list[str]:
    """Nodes no start event leads to, in document order (boundary events follow their activity)."""
    seen = reachable_nodes(process)
    return [nid for nid in process.nodes if nid not in seen]


def dead_end_nodes(process: Process) -> list[str]:
    """Nodes from which no end event of their own level can be reached, in document order."""
    nodes = process.nodes
    back: dict[str, list[str]] = {nid: [] for nid in nodes}
    for flow in process.flows.values():
        if flow.source in nodes and flow.target in nodes:
            back[flow.target].append(flow.source)
    for node in nodes.values():
        if node.attached_to in nodes:
            back[node.id].append(node.attached_to)
    goals = [n.id for n in nodes.values()
             if n.kind == "endEvent" or (n.kind in CONTAINER_KINDS and n.triggered_by_event)]
    ok: set[str] = set(goals)
    queue = deque(goals)
    while queue:
        for prev in back[queue.popleft()]:
            if prev not in ok:
                ok.add(prev)
                queue.append(prev)
    return [nid for nid in nodes if nid not in ok]


def is_result_end(node: FlowNode) -> bool:
    """True unless the end event's ``outcome`` says the dossier was refused or withdrawn."""
    return node.properties.get("outcome", "").strip().casefold() not in NON_RESULT_OUTCOMES


def main_path(process: Process, report: PathReport | None = None) -> Path | None:
    """The longest-budget path to a result end event (ties: fewest nodes, then document order)."""
    if report is None:
        report = enumerate_paths(process)
    order = {nid: i for i, nid in enumerate(process.nodes)}
    best: Path | None = None
    best_key: tuple[Decimal, int, tuple[int, ...]] | None = None
    for path in report.paths:
        if not is_result_end(process.nodes[path.end_id]):
            continue
        key = (-path.budget, len(path.node_ids), tuple(order[i] for i in path.node_ids))
        if best_key is None or key < best_key:
            best, best_key = path, key
    return best


def _clean(name: str) -> str:
    return " ".join(name.split())


def step_names(process: Process, node_ids: Iterable[str]) -> list[str]:
    """Names of the steps (activities) among the nodes; every named node if there is no activity."""
    nodes = [process.nodes[i] for i in node_ids if i in process.nodes]
    steps = [n for n in nodes if n.kind in ACTIVITY_KINDS
             or (n.kind == "intermediateCatchEvent" and n.timer_kind == "duration")]
    if steps:
        return [_clean(n.name) or n.id for n in steps]
    return [_clean(n.name) for n in nodes if n.name.strip()] or [n.id for n in nodes]


def path_name(process: Process, path: Path) -> str:
    """The path for people to read: its step names joined with an arrow."""
    return " → ".join(step_names(process, path.node_ids))

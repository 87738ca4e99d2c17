"""Save and load workflow state: lean JSON without the spec, a per-process cache, tree compaction.

The process spec is parsed once per definition version and kept in memory; a dossier's row holds
only its task tree and data. Loops (supplement/rework rounds) deepen SpiffWorkflow's task tree
with every pass, which slows each step and, past depth ~1000, makes the library stop finding READY
tasks; ``compact`` splices away the finished history above the live part of the tree so the
depth, the state size and the step cost stay bounded however many rounds a dossier goes through.
The state is written by SpiffWorkflow's own serializer, configured (``BpmnWorkflowSerializer.configure``)
with a lean workflow converter that leaves the specs out; it has a size limit checked before it is
written (a script that builds huge data fails its step instead of filling the database).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidInput

STATE_FORMAT = "lienthong-1"

#: Compact when the live part of a tree sits deeper than this; keep this many finished levels.
COMPACT_DEPTH = 40
KEEP_LEVELS = 4


class _LeanWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """Serializes a top-level workflow without its specs; restores it onto given spec objects."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec"] = None
        dct["subprocess_specs"] = {}
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = deepcopy(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _LeanWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class StateTooLarge(InvalidInput):
    """The workflow state would exceed the ``max_state_bytes`` setting: nothing is written."""


class WorkflowCodec:
    """Turns a running workflow into text and back, given the spec of its definition version
    (SpiffWorkflow's serializer with the lean converter; documents of older serializer versions
    are migrated by the library)."""

    def __init__(self, max_bytes: int | None = None) -> None:
        self._serializer = _make_serializer()
        self.max_bytes = max_bytes

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The state as JSON; StateTooLarge (before anything is written) beyond ``max_bytes``."""
        text: str = self._serializer.serialize_json(workflow)
        if self.max_bytes is not None and len(text) > self.max_bytes // 4 and len(text.encode()) > self.max_bytes:
            raise StateTooLarge(f"Dữ liệu quy trình của hồ sơ vượt quá giới hạn {self.max_bytes // 1024} KB: "
                                "bước này không được lưu")
        return text

    def loads(self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(text)
        self._serializer.migrate(dct)
        dct["spec"] = spec
        dct["subprocess_specs"] = subprocess_specs
        workflow: BpmnWorkflow = self._serializer.from_dict(dct)
        return workflow


class WorkflowCache:
    """Process-local LRU of live workflows keyed by dossier id, valid for one state version.

    An action *takes* the entry (removing it) before mutating the workflow and *puts* it back
    only after its transaction committed, so a failed or concurrent action never sees a
    half-changed object.
    """

    def __init__(self, size: int = 2000) -> None:
        self._size = size
        self._items: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, dossier_id: int, version: int) -> BpmnWorkflow | None:
        with self._lock:
            item = self._items.pop(dossier_id, None)
        if item is None or item[0] != version:
            return None
        return item[1]

    def put(self, dossier_id: int, version: int, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._items[dossier_id] = (version, workflow)
            self._items.move_to_end(dossier_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def discard(self, dossier_id: int) -> None:
        with self._lock:
            self._items.pop(dossier_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _depth(task: Task) -> int:
    depth = 0
    while task._parent is not None:
        task = task.workflow.tasks[task._parent]
        depth += 1
    return depth


def _ancestors(task: Task) -> list[UUID]:
    """Ids from the root down to the task itself."""
    chain = [task.id]
    tasks = task.workflow.tasks
    while task._parent is not None:
        task = tasks[task._parent]
        chain.append(task.id)
    chain.reverse()
    return chain


def compact(workflow: BpmnWorkflow) -> int:
    """Drop finished history above the live part of every task tree; return tasks removed."""
    removed = _compact_one(workflow)
    for sub in list(workflow.subprocesses.values()):
        removed += _compact_one(sub)
    return removed


def _compact_one(workflow: Any) -> int:
    tasks: dict[UUID, Task] = workflow.tasks
    live = [t for t in tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not live:
        return 0
    chains = [_ancestors(t) for t in live]
    common = 0
    shortest = min(len(c) for c in chains)
    while common < shortest and all(c[common] == chains[0][common] for c in chains):
        common += 1
    # chains[0][common - 1] is the lowest common ancestor of everything still alive.
    lca_depth = common - 1
    if lca_depth <= COMPACT_DEPTH:
        return 0
    root: Task = workflow.task_tree
    start_child_id = chains[0][1]  # the library's "Start" task under the root: keep it
    anchor_id = chains[0][lca_depth - KEEP_LEVELS]
    if anchor_id in (root.id, start_child_id):
        return 0
    start_child = tasks[start_child_id]
    anchor = tasks[anchor_id]
    # Splice: Start → anchor, dropping the finished chain (and its dead side branches) between.
    start_child._children = [anchor_id]
    anchor._parent = start_child_id
    keep: set[UUID] = set()
    stack = [root.id]
    while stack:
        tid = stack.pop()
        keep.add(tid)
        stack.extend(tasks[tid]._children)
    doomed = [tid for tid in tasks if tid not in keep]
    for tid in doomed:
        del tasks[tid]
        if tid in getattr(workflow, "subprocesses", {}):
            workflow.subprocesses.pop(tid, None)
    if workflow.last_task is not None and workflow.last_task.id not in tasks:
        workflow.last_task = None
    return len(doomed)


def tree_depth(workflow: BpmnWorkflow) -> int:
    """Depth of the deepest live task (for tests and diagnostics)."""
    live = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    return max((_depth(t) for t in live), default=0)

"""Save and load workflow state: lean JSON without the spec, a per-process cache, tree compaction.

The process spec is parsed once per definition version and kept in memory; a dossier's row holds
only its task tree and data. Loops (supplement/rework rounds) deepen SpiffWorkflow's task tree
with every pass, which slows each step and, past depth ~1000, makes the library stop finding READY
tasks; ``compact`` splices away the finished history above the live part of the tree so the
depth, the state size and the step cost stay bounded however many rounds a dossier goes through.
Saving happens once per completed step, so ``WorkflowCodec.dumps`` writes the library's JSON
document itself with orjson (~4x faster) and defers to the library for anything unusual. A step
whose workflow is not in this process's cache loads it first: ``WorkflowCodec.loads`` builds the
workflow and its tasks from the parsed document itself, exactly as the library's ``from_dict``
would (~2.5x faster), and likewise defers to the library for anything unusual.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from copy import copy, deepcopy
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any
from uuid import UUID, SafeUUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

STATE_FORMAT = "lienthong-1"

#: Compact when the live part of a tree sits deeper than this; keep this many finished levels.
COMPACT_DEPTH = 40
KEEP_LEVELS = 4


class _LeanWorkflowConverter(BpmnWorkflowConverter):
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


#: orjson writes integers only within these bounds (json writes any size).
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class _Fallback(Exception):
    """The fast path does not cover this workflow: use SpiffWorkflow's serializer."""


def _is_plain(value: Any) -> bool:
    """Whether orjson writes ``value`` exactly as SpiffWorkflow's json encoder would, needing no conversion."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return _INT_MIN <= value <= _INT_MAX
    if kind is float:
        return value - value == 0.0  # finite: json writes NaN/Infinity, orjson null
    # Plain loops, not all(<generator>): half the stack per level, so deep data reaches orjson's own limit.
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110
            if not _is_plain(item):
                return False
        return True
    if kind is dict:
        for key, item in value.items():  # noqa: SIM110
            if type(key) is not str or not _is_plain(item):
                return False
        return True
    return isinstance(value, str)  # a str subclass (lxml's text results): both write its characters


_PRIMITIVES = frozenset({str, int, float, bool, type(None)})


def _has_typename(value: Any) -> bool:
    """Whether a parsed JSON value holds a dict with a "typename" key, at any depth.

    The library's registry restores such a dict as an object (a datetime, …); every other dict and list
    it merely copies, container by container, and its scalars it returns as they are.
    """
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return True
        for item in value.values():
            if type(item) not in _PRIMITIVES and _has_typename(item):
                return True
    elif kind is list:
        for item in value:
            if type(item) not in _PRIMITIVES and _has_typename(item):
                return True
    return False


def _check_typenames(value: Any, allowed: frozenset[str]) -> None:
    """Raise _Fallback unless every typename dict in ``value`` names a plain data type (UUID, datetime, …)."""
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            if value["typename"] not in allowed:
                raise _Fallback
            return  # the registry hands the dict to that type's from_dict as it is: no deeper restores
        for item in value.values():
            _check_typenames(item, allowed)
    elif kind is list:
        for item in value:
            _check_typenames(item, allowed)


_new_object = object.__new__
_set_slot = object.__setattr__
_UNKNOWN_SAFETY = SafeUUID.unknown


def _uuid(text: str) -> UUID:
    """``UUID(text)`` for the ids the library writes, without UUID.__init__'s argument handling.

    UUID(text) strips "urn:", "uuid:" and braces, removes every "-", requires 32 characters left and
    takes ``int(rest, 16)``. Here only the hyphens are removed: a text holding any of those other
    characters fails ``int(…, 16)`` (":", "{", "}", "r", "n", "u" are no hex digits) and so falls back;
    any other text gives the very int UUID(text) computes, stored with the same is_safe.
    """
    digits = text.replace("-", "")
    if len(digits) != 32:
        raise _Fallback
    value = _new_object(UUID)
    _set_slot(value, "int", int(digits, 16))
    _set_slot(value, "is_safe", _UNKNOWN_SAFETY)
    return value


def _uuid_shortcut_works() -> bool:
    sample = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    try:
        made = _uuid(sample)
    except Exception:
        return False
    real = UUID(sample)
    return (UUID.__slots__ == ("int", "is_safe", "__weakref__") and made == real and hash(made) == hash(real)
            and made.is_safe == real.is_safe and str(made) == sample)


if not _uuid_shortcut_works():  # pragma: no cover - another Python's UUID layout
    def _uuid(text: str) -> UUID:
        return UUID(text)


#: The keys of a document the lean converter writes (and the fast path writes alike).
_DOCUMENT_KEYS = frozenset({"data", "correlations", "last_task", "success", "completed", "tasks", "root", "spec",
                            "subprocess_specs", "subprocesses", "bpmn_events", "typename",
                            BpmnWorkflowSerializer.VERSION_KEY})
_DELTA_KEYS = frozenset({"updates", "deletions"})
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, RecursionError)


class WorkflowCodec:
    """Turns a running workflow into text and back, given the spec of its definition version.

    ``dumps`` writes the same JSON document as SpiffWorkflow's ``serialize_json`` with the lean
    converter (equal once parsed; orjson leaves non-ASCII unescaped and drops the spaces), but
    builds the top-level dict itself and encodes with orjson. Task data that is plain JSON is
    emitted as it is; any other value is encoded by the library's own encoder and embedded as a
    fragment. A workflow with subprocesses or pending events, or anything else the fast path does
    not cover, goes through the library's serializer unchanged.

    ``loads`` reads such a document back (from either writer) without the library's registry walk:
    see ``_build``. Documents of another serializer version, with subprocesses or events, with
    typename dicts other than UUID/datetime/timedelta, or of any other unexpected shape go to the
    library's ``migrate`` + ``from_dict``, as before.
    """

    def __init__(self) -> None:
        self._serializer = _make_serializer()
        registry = self._serializer.registry
        self._workflow_typename = registry.typenames[BpmnWorkflow]
        self._task_typename = registry.typenames[Task]
        # The library's json encoder, on a registry of its own that stays in the encoder mode
        # serialize_json switches on only while it runs: no shared flag to flip between threads.
        fragments = _make_serializer()
        fragments.registry._encoder_mode = True
        self._encoder_cls = fragments._encoder_cls
        self._registry = registry
        self._data_typenames = frozenset(registry.typenames[kind] for kind in (UUID, datetime, timedelta))
        self._fast_loads = self._library_is_as_read()

    def dumps(self, workflow: BpmnWorkflow) -> str:
        try:
            dct = self._fast_dict(workflow)
            return orjson.dumps(dct, option=orjson.OPT_NON_STR_KEYS).decode()
        except (_Fallback, orjson.JSONEncodeError):
            # e.g. a lone surrogate in a string, or data nested deeper than orjson goes
            return self.spiff_dumps(workflow)

    def spiff_dumps(self, workflow: BpmnWorkflow) -> str:
        """The library's own serialization (the reference the fast path must match)."""
        text: str = self._serializer.serialize_json(workflow)
        return text

    def loads(self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        # json, not orjson: orjson reads an integer beyond 64 bits as a float. Ruling that out takes a
        # scan of the text (a regex for long digit runs is slower than json.loads itself) or of every
        # parsed number, and orjson's float parsing would have to be shown to round as float() does;
        # json.loads is ~45 of the ~100 µs a 20-task load now takes, orjson.loads would take ~25.
        dct = json.loads(text)
        if self._fast_loads:
            try:
                return self._fast_load(dct, spec, subprocess_specs)
            except _Fallback:
                pass  # the fast path only reads ``dct``: the library gets it untouched
        return self._library_load(dct, spec, subprocess_specs)

    def spiff_loads(self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        """The library's own deserialization (the reference the fast path must match)."""
        return self._library_load(json.loads(text), spec, subprocess_specs)

    def _library_load(self, dct: Any, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        self._serializer.migrate(dct)
        dct["spec"] = spec
        dct["subprocess_specs"] = subprocess_specs
        workflow: BpmnWorkflow = self._serializer.from_dict(dct)
        return workflow

    # ------------------------------------------------------------------ fast loads

    def _library_is_as_read(self) -> bool:
        """Whether the serializer restores documents with exactly the code ``_fast_load`` mirrors.

        That is: ``migrate`` only pops the version of a current document (the version has no migration),
        the top-level typename goes to ``_LeanWorkflowConverter.from_dict`` building a BpmnWorkflow, the
        task typename to ``TaskConverter.from_dict`` building a Task, and the registry's ``restore`` is
        the stock one.
        """
        serializer, registry = self._serializer, self._registry

        def converter(typename: str) -> Any:
            restore = registry.convert_from_dict.get(typename)
            method = restore.args[0] if restore is not None and len(restore.args) == 1 else None
            return getattr(method, "__self__", None), getattr(method, "__func__", None)

        workflow_converter, workflow_from_dict = converter(self._workflow_typename)
        task_converter, task_from_dict = converter(self._task_typename)
        return (type(serializer).migrate is BpmnWorkflowSerializer.migrate
                and serializer.VERSION not in MIGRATIONS
                and type(workflow_converter) is _LeanWorkflowConverter
                and workflow_from_dict is _LeanWorkflowConverter.from_dict
                and workflow_converter.target_class is BpmnWorkflow
                and type(task_converter) is TaskConverter
                and task_from_dict is TaskConverter.from_dict
                and task_converter.target_class is Task
                and type(registry).restore is DefaultRegistry.restore
                and all(registry.convert_from_dict[name].args[0].__module__ == DefaultRegistry.__module__
                        for name in self._data_typenames))

    def _restored(self, value: Any) -> Any:
        """``registry.restore(value)`` for a value just parsed by json.loads.

        Without typename dicts the registry returns scalars as they are and a fresh copy of every dict
        and list; the parsed value is itself fresh and is placed nowhere else, so it is kept instead of
        copied. A value with typename dicts (of the plain data types only) goes through the registry.
        """
        if type(value) in _PRIMITIVES or not _has_typename(value):
            return value
        _check_typenames(value, self._data_typenames)
        return self._registry.restore(value)

    def _fast_load(self, dct: Any, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        try:
            return self._build(dct, spec, subprocess_specs)
        except _MALFORMED as exc:  # an unexpected shape: the library decides what it means (or raises)
            raise _Fallback from exc

    def _build(self, dct: Any, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        """What ``migrate`` + ``_LeanWorkflowConverter.from_dict`` give for a document ``_fast_dict`` covers.

        Step by step as the library does it (BpmnWorkflowConverter.from_dict, TaskConverter.from_dict,
        WorkflowConverter.set_default_attributes), minus its per-value overhead: each task id is parsed
        once, not four times; Task objects get their attributes set directly, in the order
        ``Task.__init__`` + ``from_dict`` leave them; data is rebuilt from the parent's data and the
        delta exactly as ``DeepMerge.merge({}, parent.data)`` + update + deletions do. ``dct`` is only
        read, never changed. Anything else raises _Fallback.
        """
        if (type(dct) is not dict or dct.keys() != _DOCUMENT_KEYS
                or dct["typename"] != self._workflow_typename
                or dct[BpmnWorkflowSerializer.VERSION_KEY] != self._serializer.VERSION
                or type(dct["subprocesses"]) is not dict or dct["subprocesses"]
                or type(dct["bpmn_events"]) is not list or dct["bpmn_events"]):
            raise _Fallback
        raw_tasks = dct["tasks"]
        if type(raw_tasks) is not dict:
            raise _Fallback
        ids = {key: _uuid(key) for key in raw_tasks}
        by_key: dict[str, Task] = {}  # tasks by their key text: str hashes and compares faster than UUID
        workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
        tasks: dict[UUID, Task] = {}
        workflow.tasks = tasks  # the library fills the constructor's dict, then replaces it by an equal one
        task_specs = spec.task_specs
        event_manager = workflow.event_manager
        restored = self._restored
        task_typename = self._task_typename
        waiting = TaskState.WAITING
        for key, raw in raw_tasks.items():
            if type(raw) is not dict or raw["typename"] != task_typename or raw["id"] != key:
                raise _Fallback
            task_spec = task_specs.get(raw["task_spec"])
            state = raw["state"]
            if task_spec is None or type(state) is not int:
                raise _Fallback  # no spec: the library makes a new StartTask
            task_id = ids[key]
            parent_ref = raw["parent"]
            parent_id = None if parent_ref is None else ids[parent_ref]
            children = raw["children"]
            if type(children) is not list or parent_ref == key:
                raise _Fallback
            task = _new_object(Task)
            tasks[task_id] = task  # Task.__init__ registers itself before its parent is looked up
            by_key[key] = task
            internal = raw["internal_data"]
            if internal:  # restored() returns falsy values (None, {}, [], 0, "") as they are
                internal = restored(internal)
            delta = raw.get("delta")
            parent = by_key.get(parent_ref) if parent_ref is not None else None  # Task.parent
            if delta and parent is not None:
                parent_data = parent.data
                if type(delta) is not dict or delta.keys() != _DELTA_KEYS or type(parent_data) is not dict:
                    raise _Fallback
                updates, deletions = delta["updates"], delta["deletions"]
                if type(updates) is not dict or type(deletions) is not list:
                    raise _Fallback
                # DeepMerge.merge({}, parent.data): every key in order; a dict, list or set is copied
                # (copy.copy: one level), anything else shared.
                data = parent_data.copy()
                for name, value in parent_data.items():
                    kind = type(value)
                    if kind is dict or kind is list or kind is set:
                        data[name] = value.copy()
                    elif kind not in _PRIMITIVES and isinstance(value, (dict, list, set)):
                        data[name] = copy(value)
                if updates:
                    data.update(restored(updates))
                for name in deletions:
                    if name in data:
                        del data[name]
            else:
                data = restored(raw["data"])
            # The attributes in the order Task.__init__ creates them, with the values from_dict leaves.
            task.id = task_id
            task.workflow = workflow
            task._parent = parent_id
            task._children = [ids[child] for child in children]
            task._state = state
            task.triggered = raw["triggered"]
            task.task_spec = task_spec
            task.thread_id = Task.thread_id_pool
            task.data = data
            task.internal_data = internal
            task.last_state_change = raw["last_state_change"]
            if state & waiting and isinstance(task_spec, CatchingEvent):
                event_manager.add_task(task)
        if len(tasks) != len(raw_tasks):
            raise _Fallback  # two keys naming one UUID
        workflow.task_tree = tasks[ids[dct["root"]]]
        # WorkflowConverter.set_default_attributes
        workflow.success = dct["success"]
        workflow.completed = dct["completed"]
        workflow.correlations = dct["correlations"]
        last_task = dct["last_task"]
        if isinstance(last_task, str):
            workflow.last_task = tasks[ids[last_task]]
        workflow.data = restored(dct["data"])
        # subprocesses_from_dict({}) does nothing; bpmn_events: registry.restore([]) is a new empty list.
        workflow.bpmn_events = []
        return workflow

    # ------------------------------------------------------------------ fast dumps

    def _fragment(self, value: Any) -> orjson.Fragment:
        """``value`` as the library's json encoder writes it (typename dicts for datetimes, …)."""
        return orjson.Fragment(json.dumps(value, cls=self._encoder_cls))

    def _value(self, value: Any) -> Any:
        try:
            plain = _is_plain(value)
        except RecursionError:
            plain = False
        return value if plain else self._fragment(value)

    def _mapping(self, mapping: Any, clean: bool) -> dict[str, Any]:
        """A data dict ready for orjson (the same object when it is all plain JSON).

        ``clean`` drops callables and modules first, as the library's registry does for workflow
        data and internal data; elsewhere its encoder writes them as null.
        """
        if type(mapping) is not dict:
            raise _Fallback
        out = mapping
        for key, value in mapping.items():
            if type(key) is not str:
                raise _Fallback
            try:
                plain = _is_plain(value)
            except RecursionError:
                plain = False
            if plain:
                continue
            if out is mapping:
                out = dict(mapping)
            if clean and (callable(value) or isinstance(value, ModuleType)):
                del out[key]
            else:
                out[key] = self._fragment(value)
        return out

    def _fast_dict(self, workflow: BpmnWorkflow) -> dict[Any, Any]:
        """What ``_LeanWorkflowConverter.to_dict`` gives under ``serialize_json``, for orjson.

        Task ids stay UUID objects (keys too, with OPT_NON_STR_KEYS): orjson writes them in the
        same canonical form as ``str(uuid)``, far faster than Python's ``UUID.__str__``.
        """
        if type(workflow) is not BpmnWorkflow or workflow.subprocesses or workflow.bpmn_events:
            raise _Fallback
        tasks = workflow.tasks
        task_typename = self._task_typename
        mapping = self._mapping
        out_tasks: dict[UUID, Any] = {}
        for key, task in tasks.items():
            task_id, parent_id, children = task.id, task._parent, task._children
            if (type(task) is not Task or task.workflow is not workflow or type(key) is not UUID
                    or type(task_id) is not UUID or type(children) is not list):
                raise _Fallback
            for child in children:
                if type(child) is not UUID:
                    raise _Fallback
            parent = tasks.get(parent_id)
            task_data = task.data
            if parent is None:
                data = mapping(task_data, False)
                delta: dict[str, Any] = {}
            else:
                if type(parent_id) is not UUID:
                    raise _Fallback
                data = {}
                parent_data = parent.data
                # DeepMerge.get_updated_keys / get_deleted_keys, inlined
                updates = {k: task_data[k] for k in task_data if k not in parent_data or task_data[k] != parent_data[k]}
                deletions = [k for k in parent_data if k not in task_data]
                for name in deletions:
                    if type(name) is not str:
                        raise _Fallback
                delta = {"updates": mapping(updates, False) if updates else updates, "deletions": deletions}
            internal = task.internal_data
            changed, state, triggered = task.last_state_change, task._state, task.triggered
            out_tasks[key] = {
                "id": task_id,
                "parent": parent_id if parent is not None else None,
                "children": children,
                "last_state_change": changed if type(changed) is float and changed - changed == 0.0
                else self._value(changed),
                "state": state if type(state) is int else self._value(state),
                "task_spec": task.task_spec.name,
                "triggered": triggered if type(triggered) is bool else self._value(triggered),
                "internal_data": internal if not internal and type(internal) is dict else mapping(internal, True),
                "data": data,
                "delta": delta,
                "typename": task_typename,
            }
        last_task = workflow.last_task
        return {
            "data": mapping(workflow.data, True),
            "correlations": self._value(workflow.correlations),
            "last_task": str(last_task.id) if last_task is not None else None,
            "success": self._value(workflow.success),
            "completed": self._value(workflow.completed),
            "tasks": out_tasks,
            "root": str(workflow.task_tree.id),
            "spec": None,
            "subprocess_specs": {},
            "subprocesses": {},
            "bpmn_events": [],
            "typename": self._workflow_typename,
            self._serializer.VERSION_KEY: self._serializer.VERSION,
        }


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

"""WorkflowCodec's fast ``dumps`` writes what SpiffWorkflow's serializer writes, and ``loads`` reads both.

Every diagram that loads (workflows/*.bpmn, tests/data/*.bpmn, and an embedded subprocess, which takes
the library's path) is run forward step by step with form data the way the engine cleans it (dates,
a Decimal in a text field, Vietnamese text), random but seeded choices and fired timers. After
every step the fast text must parse to the same document as the library's own ``serialize_json``,
and the workflow restored from it (and from the library's text) must equal the original, task by
task; the run then continues on the restored workflow, to the end.

``loads`` builds plain documents itself: at every step, for both texts, its workflow must equal the
library's ``from_dict`` result attribute by attribute (``full_snapshot``: exact types, order, shared
containers), and the next step run on both (fixed clock and ids) must leave equal workflows. Edited
documents show which ones fall back to the library, and that the result (or error) is the library's.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition, TimeDateEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.definitions import Definition, load_definition
from engine.errors import DefinitionError
from engine.expressions import make_script_engine
from engine.forms import FieldSpec, validate_form
from engine.runtime import FAR_FUTURE
from engine.store import WorkflowCodec, _Fallback, _make_serializer, compact

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted([*(ROOT / "workflows").glob("*.bpmn"), *(ROOT / "tests" / "data").glob("*.bpmn")])
TEXT = "Ý kiến: hồ sơ đầy đủ, đề nghị phê duyệt — Nguyễn Thị Bình, xã Phong Nẫm"
MAX_STEPS = 150

SUBPROCESS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_sub" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_sub" name="Thủ tục có quy trình con" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="procedure_code" value="T.000009" />
      <camunda:property name="legal_working_days" value="5" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Receive" />
    <bpmn:userTask id="Receive" name="Tiếp nhận"><bpmn:extensionElements>
      <camunda:properties><camunda:property name="working_days" value="0.5" /></camunda:properties>
      <camunda:formData><camunda:formField id="ghi_chu" label="Ghi chú" type="string" /></camunda:formData>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Receive" targetRef="sub" />
    <bpmn:subProcess id="sub" name="Cấp huyện">
      <bpmn:startEvent id="s2" /><bpmn:sequenceFlow id="f3" sourceRef="s2" targetRef="Examine" />
      <bpmn:userTask id="Examine" name="Thẩm định"><bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="3" /></camunda:properties>
        <camunda:formData>
          <camunda:formField id="ngay_tham_dinh" label="Ngày thẩm định" type="date" />
          <camunda:formField id="so_tien" label="Số tiền" type="string" />
        </camunda:formData>
      </bpmn:extensionElements></bpmn:userTask>
      <bpmn:sequenceFlow id="f4" sourceRef="Examine" targetRef="e2" /><bpmn:endEvent id="e2" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f5" sourceRef="sub" targetRef="Sign" />
    <bpmn:userTask id="Sign" name="Ký"><bpmn:extensionElements>
      <camunda:properties><camunda:property name="working_days" value="1" /></camunda:properties>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f6" sourceRef="Sign" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>"""


def _loadable() -> list[Any]:
    params = []
    for path in DIAGRAMS:
        try:
            load_definition(path.read_bytes(), path.name)
        except DefinitionError:
            continue
        params.append(pytest.param(path, id=path.stem))
    return params


LOADABLE = _loadable()


def canonical(text: str) -> str:
    """A state text as one canonical JSON text: key order and spacing do not matter, types and NaN do."""
    return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def reference_dumps(wf: BpmnWorkflow) -> str:
    """The pre-orjson WorkflowCodec.dumps: SpiffWorkflow's serialize_json with the lean converter."""
    text: str = _make_serializer().serialize_json(wf)
    return text


def snapshot(wf: BpmnWorkflow) -> dict[str, Any]:
    def tasks_of(w: Any) -> dict[str, Any]:
        return {str(t.id): (t.task_spec.name, t.state, t._parent, list(t._children), t.triggered,
                            t.last_state_change, t.data, t.internal_data) for t in w.tasks.values()}

    return {"tasks": tasks_of(wf), "data": wf.data, "correlations": wf.correlations,
            "last_task": wf.last_task.id if wf.last_task is not None else None, "root": wf.task_tree.id,
            "success": wf.success, "completed": wf.completed,
            "subprocesses": {str(k): tasks_of(sp) for k, sp in wf.subprocesses.items()}}


def full_snapshot(wf: BpmnWorkflow, spec: Any) -> Any:
    """Everything a restored workflow holds, with types and sharing, for comparing two restorations.

    Every attribute of the workflow and of each task (names in order) is walked: values carry their
    exact types (1, 1.0 and True differ, NaN equals NaN, dict key order counts), containers carry the
    number of the first place they were met, so data shared between two tasks (the one-level copies
    the library makes of a parent's data) must be shared the same way. Tasks and specs are compared
    by identity with the workflow's own tasks and the given spec.
    """
    seen: dict[int, int] = {}
    alive: list[Any] = []  # keeps walked objects alive so that ids are not reused meanwhile

    def ref(obj: Any) -> int:
        if id(obj) not in seen:
            seen[id(obj)] = len(seen)
            alive.append(obj)
        return seen[id(obj)]

    def task_ref(task: Any) -> Any:
        if task is None:
            return None
        return ("task", str(task.id), wf.tasks.get(task.id) is task)

    def typed(value: Any) -> Any:
        kind = type(value)
        if kind is float:
            return ("float", repr(value))
        if kind in (str, int, bool, type(None)):
            return (kind.__name__, value)
        if kind is UUID:
            return ("UUID", str(value), value.is_safe)
        if kind in (datetime, date, timedelta, Decimal):
            return (kind.__name__, repr(value), str(getattr(value, "tzinfo", None)))
        if kind is dict:
            return ("dict", ref(value), [(typed(k), typed(v)) for k, v in value.items()])
        if kind in (list, tuple):
            return (kind.__name__, ref(value), [typed(v) for v in value])
        if kind is set:
            return ("set", ref(value), sorted(repr(typed(v)) for v in value))
        if isinstance(value, Task):
            return task_ref(value)
        if hasattr(value, "__dict__"):
            return (kind.__qualname__, ref(value), [(k, typed(v)) for k, v in vars(value).items()])
        return (kind.__qualname__, repr(value))

    def task_snapshot(task: Any) -> Any:
        out = []
        for name, value in vars(task).items():
            if name == "workflow":
                out.append((name, value is wf))
            elif name == "task_spec":
                out.append((name, type(value).__name__, value.name, spec.task_specs.get(value.name) is value))
            else:
                out.append((name, typed(value)))
        return out

    out: list[Any] = []
    for name, value in vars(wf).items():
        if name == "tasks":
            out.append((name, type(value).__name__,
                        [(typed(k), k == t.id, task_snapshot(t)) for k, t in value.items()]))
        elif name in ("task_tree", "last_task"):
            out.append((name, task_ref(value)))
        elif name == "spec":
            out.append((name, value is spec))
        elif name == "subprocess_specs":
            out.append((name, type(value).__name__, sorted(value)))
        elif name == "event_manager":
            out.append((name, type(value).__name__, sorted(vars(value)), value.workflow is wf,
                        [(typed(k), task_ref(t)) for k, t in value.tasks.items()]))
        elif name.endswith("script_engine"):
            out.append((name, type(value).__name__))
        elif name == "subprocesses":
            out.append((name, [(typed(k), type(sp).__name__,
                                [(typed(tk), task_snapshot(t)) for tk, t in sp.tasks.items()],
                                typed(sp.data), task_ref(sp.last_task), task_ref(sp.task_tree), typed(sp.correlations),
                                typed(sp.success), typed(sp.completed)) for k, sp in value.items()]))
        else:
            out.append((name, typed(value)))
    return out


@contextlib.contextmanager
def deterministic_run() -> Iterator[None]:
    """SpiffWorkflow's clock and random task ids replaced by fresh counters: the same step run on two
    equal workflows then leaves two equal workflows."""
    ids = itertools.count(1)
    ticks = itertools.count(1)
    clock = SimpleNamespace(time=lambda: 1_800_000_000.0 + next(ticks) / 8)
    with mock.patch("SpiffWorkflow.task.uuid4", lambda: UUID(int=next(ids))), \
            mock.patch("SpiffWorkflow.task.time", clock), \
            mock.patch("SpiffWorkflow.bpmn.specs.event_definitions.timer.datetime", _FixedNow):
        yield


class _FixedNow(datetime):
    """The timers' clock during a deterministic run."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return datetime(2026, 6, 1, 8, 0, tzinfo=UTC).astimezone(tz)


def form_values(fields: tuple[FieldSpec, ...], rnd: random.Random,
                force: dict[str, Any] | None = None) -> dict[str, Any]:
    """Form data as an official submits it (``force`` fixing some fields), cleaned by the engine's
    own validate_form. benchmarks/codec_speed.py drives its workflows with it too."""
    raw: dict[str, Any] = {}
    for spec in fields:
        if spec.readonly:
            continue
        if force and spec.id in force:
            raw[spec.id] = force[spec.id]
        elif spec.type == "enum":
            raw[spec.id] = rnd.choice(spec.enum_values)[0]
        elif spec.type == "boolean":
            raw[spec.id] = rnd.random() < 0.5
        elif spec.type == "long":
            low = int(spec.constraints.get("min") or 0)
            raw[spec.id] = rnd.randint(low, int(spec.constraints.get("max") or low + 5_000_000))
        elif spec.type == "date":
            raw[spec.id] = date(2026, 3, 2) + timedelta(days=rnd.randrange(300))
        else:
            limit = int(spec.constraints.get("maxlength") or 4000)
            raw[spec.id] = Decimal("1234567.89") if rnd.random() < 0.3 else TEXT[:limit]
    return validate_form(fields, raw)


def waiting_timers(wf: BpmnWorkflow) -> list[Any]:
    return [t for t in wf.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None),
                          DurationTimerEventDefinition | TimeDateEventDefinition)]


def check_round_trip(codec: WorkflowCodec, wf: BpmnWorkflow, definition: Definition) -> BpmnWorkflow:
    """Fast text == library text (parsed); both restore to the original. Returns the fast-restored one."""
    text = codec.dumps(wf)
    old = reference_dumps(wf)
    assert canonical(text) == canonical(old)
    before = snapshot(wf)
    restored = codec.loads(text, definition.spec, definition.subprocess_specs)
    assert snapshot(restored) == before
    assert snapshot(codec.loads(old, definition.spec, definition.subprocess_specs)) == before
    assert codec.dumps(restored) == text  # stable: the restored workflow writes the same text
    for source in (text, old):
        check_same_as_library(codec, source, definition)
    restored.script_engine = make_script_engine()
    return restored


def check_same_as_library(codec: WorkflowCodec, text: str, definition: Definition) -> tuple[BpmnWorkflow, BpmnWorkflow]:
    """``loads`` gives what the library's ``from_dict`` gives, attribute by attribute, and so does the next
    step run on both. Returns both workflows after that step."""
    fast = codec.loads(text, definition.spec, definition.subprocess_specs)
    lib = codec.spiff_loads(text, definition.spec, definition.subprocess_specs)
    assert full_snapshot(fast, definition.spec) == full_snapshot(lib, definition.spec)
    assert codec.dumps(fast) == codec.dumps(lib)
    if not (fast.is_completed() | lib.is_completed()):
        for wf in (fast, lib):
            wf.script_engine = make_script_engine()
            with deterministic_run():
                settle(wf)
                advance(wf, definition, random.Random(len(text)), None)
        assert full_snapshot(fast, definition.spec) == full_snapshot(lib, definition.spec)
        assert codec.dumps(fast) == codec.dumps(lib)
    return fast, lib


def settle(wf: BpmnWorkflow) -> None:
    for task in waiting_timers(wf):  # as the engine: never fire on the library's own clock
        task._set_internal_data(event_value=FAR_FUTURE)


def advance(wf: BpmnWorkflow, definition: Definition, rnd: random.Random, force: dict[str, Any] | None) -> None:
    """One step: fire a waiting timer or complete a ready task with form data (some of it converted by the
    library: datetimes, timedeltas, UUIDs), sometimes deleting a value so that the delta has deletions."""
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    timers = waiting_timers(wf)
    if timers and (not ready or rnd.random() < 0.25):
        timer = rnd.choice(timers)
        timer._set_internal_data(event_fired=True)
        wf.refresh_timers()
    else:
        assert ready, "stuck: nothing ready and no timer waiting"
        task = rnd.choice(ready)
        spec = definition.steps.get(task.task_spec.bpmn_id)
        values = form_values(spec.fields if spec else (), rnd)
        if force:
            values.update({k: v for k, v in force.items() if k in values})
        task.data.update(values)
        if rnd.random() < 0.2:  # values the library converts itself (typename dicts)
            task.data["nhan_luc"] = datetime(2026, 3, 2, 8, rnd.randrange(60), tzinfo=UTC)
            task.data["thoi_han"] = timedelta(days=3, seconds=rnd.randrange(86400))
            task.data["ma_tham_chieu"] = UUID(int=rnd.getrandbits(128), version=4)
        if rnd.random() < 0.15:  # nested containers: copied one level from parent to child data
            task.data["ho_so"] = {"giay_to": ["CCCD", {"so": rnd.randrange(1000)}], "ghi_chu": TEXT}
        if rnd.random() < 0.1:
            task.data.pop("ho_ten", None)  # a deletion in the task's delta
        task.run()
    wf.do_engine_steps()


def drive(definition: Definition, seed: int, force: dict[str, Any] | None = None, force_steps: int = 0,
          removed: list[int] | None = None) -> Iterator[BpmnWorkflow]:
    """Start a workflow and yield it after every step; the caller sends back the workflow to go on with.

    ``force`` overrides form values during the first ``force_steps`` steps (to go round a loop);
    ``removed`` collects what each compaction spliced away.
    """
    rnd = random.Random(seed)
    wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())
    start = {"ho_ten": "Nguyễn Văn An", **form_values(definition.start_fields, rnd)}
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(start)
    wf.do_engine_steps()
    for step in range(MAX_STEPS):
        settle(wf)
        dropped = compact(wf)
        if removed is not None:
            removed.append(dropped)
        wf = yield wf
        if wf.is_completed():
            return
        advance(wf, definition, rnd, force if force and step < force_steps else None)
    pytest.fail(f"not finished after {MAX_STEPS} steps")


def run_through(definition: Definition, seed: int, codec: WorkflowCodec, **kwargs: Any) -> tuple[int, BpmnWorkflow]:
    steps = 0
    runner = drive(definition, seed, **kwargs)
    wf = next(runner)
    try:
        while True:
            restored = check_round_trip(codec, wf, definition)
            steps += 1
            wf = runner.send(restored)  # go on with the restored workflow, as after a cache miss
    except StopIteration:
        pass
    assert wf.is_completed()
    return steps, wf


@pytest.fixture
def spiff_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts dumps that fell back to the library's serializer."""
    calls: list[int] = []
    original = WorkflowCodec.spiff_dumps

    def counting(self: WorkflowCodec, workflow: BpmnWorkflow) -> str:
        calls.append(1)
        return original(self, workflow)

    monkeypatch.setattr(WorkflowCodec, "spiff_dumps", counting)
    return calls


@pytest.fixture
def load_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records, for every ``loads``, whether the fast path built the workflow or fell back to the library."""
    paths: list[str] = []
    original = WorkflowCodec._fast_load

    def recording(self: WorkflowCodec, *args: Any) -> BpmnWorkflow:
        try:
            workflow = original(self, *args)
        except _Fallback:
            paths.append("library")
            raise
        paths.append("fast")
        return workflow

    monkeypatch.setattr(WorkflowCodec, "_fast_load", recording)
    return paths


def test_every_diagram_is_covered() -> None:
    assert len(LOADABLE) >= 9, "the shipped diagrams should load"


@pytest.mark.parametrize("path", LOADABLE)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fast_dumps_matches_library_at_every_step(path: Path, seed: int, spiff_calls: list[int],
                                                   load_paths: list[str]) -> None:
    definition = load_definition(path.read_bytes(), path.name)
    steps, _ = run_through(definition, seed, WorkflowCodec())
    assert steps >= 3
    assert spiff_calls == [], "a plain diagram must take the fast path"
    assert load_paths and set(load_paths) == {"fast"}, "a plain diagram must load by the fast path"


def test_long_supplement_loop_with_compacted_tree(spiff_calls: list[int], load_paths: list[str]) -> None:
    """Thirty supplement rounds: the tree is compacted (spliced parents) and still written the same."""
    definition = load_definition((ROOT / "tests" / "data" / "three_agencies.bpmn").read_bytes())
    removed: list[int] = []
    steps, _ = run_through(definition, 11, WorkflowCodec(), force={"ket_qua": "bo_sung"}, force_steps=60,
                           removed=removed)
    assert steps > 60
    assert sum(removed) > 0, "the loop should have gone deep enough to be compacted"
    assert spiff_calls == []
    assert set(load_paths) == {"fast"}


def test_subprocess_falls_back_to_library(spiff_calls: list[int], load_paths: list[str]) -> None:
    definition = load_definition(SUBPROCESS_BPMN.encode(), "sub.bpmn")
    codec = WorkflowCodec()
    seen_subprocess = False
    runner = drive(definition, 7)
    wf = next(runner)
    try:
        while True:
            seen_subprocess |= bool(wf.subprocesses)
            wf = runner.send(check_round_trip(codec, wf, definition))
    except StopIteration:
        pass
    assert wf.is_completed()
    assert seen_subprocess
    assert spiff_calls, "a workflow with subprocesses goes through the library's serializer"
    assert "library" in load_paths, "... and is loaded by the library's from_dict"
    assert "fast" in load_paths, "before and after the subprocess the fast path loads it"


def _three_agencies() -> tuple[Definition, BpmnWorkflow]:
    definition = load_definition((ROOT / "tests" / "data" / "three_agencies.bpmn").read_bytes())
    runner = drive(definition, 1)
    wf = next(runner)
    for _ in range(3):
        wf = runner.send(wf)
    return definition, wf


def _ready(wf: BpmnWorkflow) -> Any:
    return wf.get_tasks(state=TaskState.READY, manual=True)[0]


def _put_everywhere(wf: BpmnWorkflow, value: Any) -> None:
    """``value`` in a task's data, the workflow's data and a task's internal data."""
    _ready(wf).data["gia_tri"] = value
    wf.data["du_lieu"] = value
    wf.last_task.internal_data["noi_bo"] = value


class _Text(str):
    pass


@pytest.mark.parametrize("value", [
    {1, 2, 3},
    ("bộ", "hồ sơ", 2),
    float("nan"),
    float("-inf"),
    2**64,
    -(2**63) - 1,
    2**70 + 1,
    [1, [2, {"a": (3, 4)}], {"x": {5: "năm"}}],
    {"nested": {None: 1, True: 2, 1.5: 3}},
    _Text("chuỗi con"),
    len,  # a callable: the library's encoder writes null
    datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    {"when": [datetime(2026, 3, 2), timedelta(hours=5)], "id": UUID(int=7)},
    "\ud800 lẻ",  # a lone surrogate: orjson refuses it, the library's json writes it escaped
])
def test_unusual_values_are_written_as_the_library_writes_them(value: Any, spiff_calls: list[int]) -> None:
    _, wf = _three_agencies()
    codec = WorkflowCodec()
    _put_everywhere(wf, value)
    assert canonical(codec.dumps(wf)) == canonical(reference_dumps(wf))


def test_deep_data_falls_back(spiff_calls: list[int]) -> None:
    _, wf = _three_agencies()
    codec = WorkflowCodec()
    deep: Any = "đáy"
    for _ in range(400):  # deeper than orjson writes (255)
        deep = [deep]
    _ready(wf).data["sau"] = deep
    assert canonical(codec.dumps(wf)) == canonical(reference_dumps(wf))
    assert spiff_calls


def test_non_string_keys_in_task_data_fall_back(spiff_calls: list[int]) -> None:
    _, wf = _three_agencies()
    codec = WorkflowCodec()
    _ready(wf).data[42] = "bốn mươi hai"
    assert canonical(codec.dumps(wf)) == canonical(reference_dumps(wf))
    assert spiff_calls


def test_callables_are_dropped_from_workflow_and_internal_data() -> None:
    _, wf = _three_agencies()
    codec = WorkflowCodec()
    wf.data["ham"] = len
    wf.data["math"] = math
    wf.last_task.internal_data["ham"] = print
    text = codec.dumps(wf)
    assert canonical(text) == canonical(reference_dumps(wf))
    assert "ham" not in json.loads(text)["data"]


@pytest.mark.parametrize("value", [date(2026, 3, 2), Decimal("1.5"), object()])
def test_unserialisable_values_still_raise(value: Any) -> None:
    _, wf = _three_agencies()
    _ready(wf).data["x"] = value
    with pytest.raises(TypeError):
        reference_dumps(wf)
    with pytest.raises(TypeError):
        WorkflowCodec().dumps(wf)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 12345678901234567890123, float("nan"), float("inf"),
                                   "\ud800", 0.1, 1e300, "Đồng ý"])
def test_loads_keeps_big_ints_nan_and_surrogates(value: Any) -> None:
    definition, wf = _three_agencies()
    codec = WorkflowCodec()
    _ready(wf).data["gia_tri"] = value
    for text in (codec.dumps(wf), reference_dumps(wf)):
        got = _ready(codec.loads(text, definition.spec, definition.subprocess_specs)).data["gia_tri"]
        assert type(got) is type(value)
        assert got == value or (math.isnan(value) and math.isnan(got))


def test_old_texts_load_and_new_texts_are_compact_utf8() -> None:
    definition, wf = _three_agencies()
    codec = WorkflowCodec()
    old = reference_dumps(wf)
    new = codec.dumps(wf)
    assert "\\u" in old and "Nguyễn" in new  # json escapes non-ASCII; orjson writes UTF-8
    assert len(new) < len(old)
    assert snapshot(codec.loads(old, definition.spec, {})) == snapshot(codec.loads(new, definition.spec, {}))


# ---------------------------------------------------------------------------------------------- loads


def compare_loads(codec: WorkflowCodec, text: str, definition: Definition) -> BpmnWorkflow | None:
    """``loads`` and the library's path give equal workflows, or raise the same kind of error."""
    try:
        lib = codec.spiff_loads(text, definition.spec, definition.subprocess_specs)
    except Exception as exc:  # whatever the library raises, loads must raise too
        with pytest.raises(type(exc)):
            codec.loads(text, definition.spec, definition.subprocess_specs)
        return None
    fast = codec.loads(text, definition.spec, definition.subprocess_specs)
    assert type(fast) is type(lib)  # without a typename the library "restores" a plain dict
    if isinstance(lib, BpmnWorkflow):
        assert full_snapshot(fast, definition.spec) == full_snapshot(lib, definition.spec)
    return fast


def edited(text: str, edit: Any) -> str:
    dct = json.loads(text)
    edit(dct)
    return json.dumps(dct)


def _tasks(dct: dict[str, Any]) -> list[dict[str, Any]]:
    return list(dct["tasks"].values())


def _with_parent(dct: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in _tasks(dct) if t["parent"] is not None and t["delta"]["updates"])


def _rename_task(dct: dict[str, Any], old: str, new: str) -> None:
    dct["tasks"] = {(new if k == old else k): v for k, v in dct["tasks"].items()}
    for task in _tasks(dct):
        task["id"] = new if task["id"] == old else task["id"]
        task["parent"] = new if task["parent"] == old else task["parent"]
        task["children"] = [new if c == old else c for c in task["children"]]
    dct["root"] = new if dct["root"] == old else dct["root"]
    dct["last_task"] = new if dct["last_task"] == old else dct["last_task"]


def _waiting_timer_text() -> tuple[Definition, str]:
    definition = load_definition((ROOT / "tests" / "data" / "timer_wait.bpmn").read_bytes())
    runner = drive(definition, 3)
    wf = next(runner)
    while not waiting_timers(wf):
        wf = runner.send(wf)
    return definition, WorkflowCodec().dumps(wf)


def test_fast_loads_registers_waiting_timers_and_keeps_sharing(load_paths: list[str]) -> None:
    definition, text = _waiting_timer_text()
    codec = WorkflowCodec()
    fast = compare_loads(codec, text, definition)
    assert fast is not None and load_paths == ["fast"]
    assert fast.event_manager.tasks, "the waiting timer is known to the event manager"
    # The library copies a parent's containers one level deep into the child's data: same here.
    _, wf = _three_agencies()
    task = _ready(wf)
    task.data["ho_so"] = {"giay_to": [["CCCD"]], "so": 1}
    task.run()
    wf.do_engine_steps()
    text = codec.dumps(wf)
    for restored in (codec.loads(text, wf.spec, {}), codec.spiff_loads(text, wf.spec, {})):
        parent = restored.tasks[task.id]
        child = parent.children[0]
        assert child.data["ho_so"] == parent.data["ho_so"] and child.data["ho_so"] is not parent.data["ho_so"]
        assert child.data["ho_so"]["giay_to"] is parent.data["ho_so"]["giay_to"]


@pytest.mark.parametrize("value", [
    {1, 2, 3},
    ("bộ", "hồ sơ", 2),
    float("nan"),
    -0.0,
    2**64,
    2**70 + 1,
    [1, [2, {"a": (3, 4)}], {"x": {5: "năm"}}],
    {"nested": {None: 1, True: 2, 1.5: 3}},
    _Text("chuỗi con"),
    len,
    datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    {"when": [datetime(2026, 3, 2), timedelta(hours=5)], "id": UUID(int=7)},
    [[{"moc": datetime(2026, 3, 2, 8, 0)}]],
    "\ud800 lẻ",
    {"typename": "chỉ là chữ"},  # written as data: the library reads it as an unknown type (and fails)
], ids=repr)
def test_unusual_values_load_as_the_library_loads_them(value: Any, load_paths: list[str]) -> None:
    definition, wf = _three_agencies()
    codec = WorkflowCodec()
    _put_everywhere(wf, value)
    for text in (codec.dumps(wf), reference_dumps(wf)):
        compare_loads(codec, text, definition)
    expected = "library" if isinstance(value, dict) and "typename" in value else "fast"
    assert set(load_paths) == {expected}


def test_deep_data_loads_as_the_library_loads_it(load_paths: list[str]) -> None:
    definition, wf = _three_agencies()
    deep: Any = {"moc": datetime(2026, 3, 2, 8, 0)}
    for _ in range(400):
        deep = [deep]
    _ready(wf).data["sau"] = deep
    codec = WorkflowCodec()
    assert compare_loads(codec, codec.dumps(wf), definition) is not None
    assert load_paths == ["fast"]


def _middle_text() -> tuple[Definition, str]:
    definition, wf = _three_agencies()
    _ready(wf).data["nhan_luc"] = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    return definition, WorkflowCodec().dumps(wf)


def _first_key(dct: dict[str, Any]) -> str:
    return next(iter(dct["tasks"]))


# Documents the fast path must leave to the library (edits of a good one), and what the library does.
FALLBACK_EDITS: dict[str, Any] = {
    "older version": lambda d: d.update(serializer_version="1.4"),  # migrations need the spec: both fail
    "unknown newer version": lambda d: d.update(serializer_version="9.9"),
    "no version": lambda d: d.pop("serializer_version"),
    "missing completed": lambda d: d.pop("completed"),
    "extra key": lambda d: d.update(extra=1),
    "pending event": lambda d: d.update(bpmn_events=[{"typename": "UUID", "value": str(UUID(int=1))}]),
    "subprocess entry": lambda d: d.update(subprocesses={str(UUID(int=1)): {}}),
    "unknown task spec": lambda d: _tasks(d)[-1].update(task_spec="Đã xoá"),
    "state as text": lambda d: _tasks(d)[-1].update(state="64"),
    "id differs from key": lambda d: _tasks(d)[-1].update(id=str(UUID(int=5))),
    "upper-case key": lambda d: d.update(tasks={k.upper(): dict(v, id=k.upper()) for k, v in d["tasks"].items()}),
    "one id twice": lambda d: d["tasks"].update({_first_key(d).upper(): dict(_tasks(d)[0], id=_first_key(d).upper())}),
    "braced id": lambda d: _rename_task(d, _first_key(d), "{" + _first_key(d) + "}"),
    "dangling child": lambda d: _tasks(d)[-1].update(children=[str(UUID(int=9))]),
    "dangling parent": lambda d: _tasks(d)[-1].update(parent=str(UUID(int=9))),
    "dangling last task": lambda d: d.update(last_task=str(UUID(int=9))),
    "own parent": lambda d: _tasks(d)[-1].update(parent=_tasks(d)[-1]["id"]),
    "delta without deletions": lambda d: _with_parent(d)["delta"].pop("deletions"),
    "typename key in updates": lambda d: _with_parent(d)["delta"]["updates"].update(typename="datetime"),
    "task typename in data": lambda d: _with_parent(d)["delta"]["updates"].update(x={"typename": "Task"}),
    "task without typename": lambda d: _tasks(d)[-1].pop("typename"),
    "children as text": lambda d: _tasks(d)[-1].update(children="ab"),
}

# Unusual documents the fast path reads itself, exactly as the library does.
FAST_EDITS: dict[str, Any] = {
    "child before parent": lambda d: d.update(tasks=dict(reversed(list(d["tasks"].items())))),
    "task without delta": lambda d: _with_parent(d).pop("delta"),
    "deleting an absent key": lambda d: _with_parent(d)["delta"]["deletions"].append("khong_co"),
    "correlations": lambda d: d.update(correlations={"ma": {"a": [1, 2]}}),
    "datetime workflow data": lambda d: d.update(data={"typename": "datetime", "value": "2026-03-02T08:00:00"}),
    "no last task": lambda d: d.update(last_task=None),
    "odd last task": lambda d: d.update(last_task=17),
    "failed and finished": lambda d: d.update(success=False, completed=True),
    "float state change": lambda d: _tasks(d)[-1].update(last_state_change=1),
    "upper-case ids throughout": lambda d: _rename_task(d, _first_key(d), _first_key(d).upper()),
    "odd triggered": lambda d: _tasks(d)[-1].update(triggered=1),
    "datetime in root data": lambda d: d["tasks"][d["root"]]["data"].update(
        moc={"typename": "datetime", "value": "2026-03-02T08:00:00+07:00"},
        ds=[{"typename": "UUID", "value": d["root"]}]),
    "data instead of delta": lambda d: _with_parent(d).update(
        delta={}, data={"moc": {"typename": "timedelta", "days": 1, "seconds": 5}}),
}


@pytest.mark.parametrize("name", list(FALLBACK_EDITS))
def test_unusual_documents_fall_back_to_the_library(name: str, load_paths: list[str]) -> None:
    definition, text = _middle_text()
    compare_loads(WorkflowCodec(), edited(text, FALLBACK_EDITS[name]), definition)
    assert load_paths == ["library"]


@pytest.mark.parametrize("name", list(FAST_EDITS))
def test_odd_but_covered_documents_load_fast(name: str, load_paths: list[str]) -> None:
    definition, text = _middle_text()
    assert compare_loads(WorkflowCodec(), edited(text, FAST_EDITS[name]), definition) is not None
    assert load_paths == ["fast"]


def test_fast_loads_is_off_when_the_library_would_migrate_current_documents() -> None:
    assert WorkflowCodec()._fast_loads
    with mock.patch.dict(MIGRATIONS, {BpmnWorkflowSerializer().VERSION: lambda dct: None}):
        assert not WorkflowCodec()._fast_loads


def test_tasks_take_the_current_thread_id_pool(monkeypatch: pytest.MonkeyPatch, load_paths: list[str]) -> None:
    definition, text = _middle_text()
    monkeypatch.setattr(Task, "thread_id_pool", 7)
    fast = compare_loads(WorkflowCodec(), text, definition)
    assert fast is not None and load_paths == ["fast"]
    assert {t.thread_id for t in fast.tasks.values()} == {7}


_ODD_VALUES: list[Any] = [
    None, 0, 1, True, 1.5, "x", "", [], {}, [1], {"a": 1}, 64, 2**70, float("nan"), str(UUID(int=1)),
    {"typename": "datetime", "value": "2026-01-01T00:00:00"}, {"typename": "UUID", "value": str(UUID(int=1))},
    {"typename": "timedelta", "days": 1, "seconds": 2}, {"typename": "Task"}, {"typename": "datetime"},
]
_TASK_FIELDS = ("data", "updates", "deletions", "internal_data", "correlations", "children", "parent",
                "last_state_change", "triggered", "state", "delta")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@pytest.mark.parametrize("seed", [1, 2])
def test_randomly_edited_documents_load_as_the_library_loads_them(seed: int, load_paths: list[str]) -> None:
    """Random edits (values replaced, keys removed or added, "typename" keys slipped in) of real
    documents: whichever path loads each, the result (or error) is the library's."""
    rnd = random.Random(seed)
    codec = WorkflowCodec()
    documents = []
    for name in ("three_agencies", "timer_wait"):
        definition = load_definition((ROOT / "tests" / "data" / f"{name}.bpmn").read_bytes())
        runner = drive(definition, seed)
        wf = next(runner)
        for _ in range(3):
            documents.append((definition, codec.dumps(wf)))
            try:
                wf = runner.send(wf)
            except StopIteration:
                break
    for _ in range(300):
        definition, text = rnd.choice(documents)
        dct = json.loads(text)
        anywhere = rnd.random() < 0.3
        for _ in range(rnd.randint(1, 3)):
            path = rnd.choice([p for p in _paths(dct) if p and (anywhere or any(k in _TASK_FIELDS for k in p))])
            holder = dct
            for key in path[:-1]:
                holder = holder[key]
            roll = rnd.random()
            if roll < 0.5:
                holder[path[-1]] = deepcopy(rnd.choice(_ODD_VALUES))
            elif roll < 0.7 and isinstance(holder, dict):
                del holder[path[-1]]
            elif isinstance(holder, dict):
                holder["typename" if rnd.random() < 0.3 else "them"] = deepcopy(rnd.choice(_ODD_VALUES))
        compare_loads(codec, json.dumps(dct), definition)
    assert load_paths.count("fast") > 30 and load_paths.count("library") > 30

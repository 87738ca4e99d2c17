"""WorkflowCodec's fast ``dumps`` writes what SpiffWorkflow's serializer writes, and ``loads`` reads both.

Every diagram that loads (workflows/*.bpmn, tests/data/*.bpmn, and an embedded subprocess, which takes
the library's path) is run forward step by step with form data the way the engine cleans it (dates,
a Decimal in a text field, Vietnamese text), random but seeded choices and fired timers. After
every step the fast text must parse to the same document as the library's own ``serialize_json``,
and the workflow restored from it (and from the library's text) must equal the original, task by
task; the run then continues on the restored workflow, to the end.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition, TimeDateEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import Definition, load_definition
from engine.errors import DefinitionError
from engine.expressions import make_script_engine
from engine.forms import FieldSpec, validate_form
from engine.runtime import FAR_FUTURE
from engine.store import WorkflowCodec, _make_serializer, compact

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


def form_values(fields: tuple[FieldSpec, ...], rnd: random.Random) -> dict[str, Any]:
    """Form data as an official submits it, cleaned by the engine's own validate_form."""
    raw: dict[str, Any] = {}
    for spec in fields:
        if spec.readonly:
            continue
        if spec.type == "enum":
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
    restored.script_engine = make_script_engine()
    return restored


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
        for task in waiting_timers(wf):  # as the engine: never fire on the library's own clock
            task._set_internal_data(event_value=FAR_FUTURE)
        dropped = compact(wf)
        if removed is not None:
            removed.append(dropped)
        wf = yield wf
        if wf.is_completed():
            return
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
            if force and step < force_steps:
                values.update({k: v for k, v in force.items() if k in values})
            task.data.update(values)
            if rnd.random() < 0.2:  # values the library converts itself (typename dicts)
                task.data["nhan_luc"] = datetime(2026, 3, 2, 8, rnd.randrange(60), tzinfo=UTC)
                task.data["thoi_han"] = timedelta(days=3, seconds=rnd.randrange(86400))
                task.data["ma_tham_chieu"] = uuid4()
            if rnd.random() < 0.1:
                task.data.pop("ho_ten", None)  # a deletion in the task's delta
            task.run()
        wf.do_engine_steps()
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


def test_every_diagram_is_covered() -> None:
    assert len(LOADABLE) >= 9, "the shipped diagrams should load"


@pytest.mark.parametrize("path", LOADABLE)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fast_dumps_matches_library_at_every_step(path: Path, seed: int, spiff_calls: list[int]) -> None:
    definition = load_definition(path.read_bytes(), path.name)
    steps, _ = run_through(definition, seed, WorkflowCodec())
    assert steps >= 3
    assert spiff_calls == [], "a plain diagram must take the fast path"


def test_long_supplement_loop_with_compacted_tree(spiff_calls: list[int]) -> None:
    """Thirty supplement rounds: the tree is compacted (spliced parents) and still written the same."""
    definition = load_definition((ROOT / "tests" / "data" / "three_agencies.bpmn").read_bytes())
    removed: list[int] = []
    steps, _ = run_through(definition, 11, WorkflowCodec(), force={"ket_qua": "bo_sung"}, force_steps=60,
                           removed=removed)
    assert steps > 60
    assert sum(removed) > 0, "the loop should have gone deep enough to be compacted"
    assert spiff_calls == []


def test_subprocess_falls_back_to_library(spiff_calls: list[int]) -> None:
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


def _three_agencies() -> tuple[Definition, BpmnWorkflow]:
    definition = load_definition((ROOT / "tests" / "data" / "three_agencies.bpmn").read_bytes())
    runner = drive(definition, 1)
    wf = next(runner)
    for _ in range(3):
        wf = runner.send(wf)
    return definition, wf


def _ready(wf: BpmnWorkflow) -> Any:
    return wf.get_tasks(state=TaskState.READY, manual=True)[0]


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
    _ready(wf).data["gia_tri"] = value
    wf.data["du_lieu"] = value
    wf.last_task.internal_data["noi_bo"] = value
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

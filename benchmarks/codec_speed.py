"""WorkflowCodec speed: loads and dumps against SpiffWorkflow's own serializer, on a few workflow sizes.

    .venv/bin/python benchmarks/codec_speed.py [--number 300]

For each workflow (three_agencies.bpmn in the middle of its run, the same diagram after ten supplement
rounds, and every workflows/*.bpmn driven half-way), prints the task count, the state size and the
best-of-10 µs of:

- ``loads``: the library path (json.loads + migrate + the registry's from_dict, as loads did before
  the fast path) against ``WorkflowCodec.loads``;
- ``dumps``: the library's ``serialize_json`` against ``WorkflowCodec.dumps`` on a fresh workflow
  object (first dump after a load) and on the same object dumped again after one more step (the
  usual save after a completion when the workflow came from the cache or was just loaded).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine.definitions import Definition, load_definition  # noqa: E402
from engine.errors import DefinitionError  # noqa: E402
from engine.expressions import make_script_engine  # noqa: E402
from engine.store import WorkflowCodec  # noqa: E402
from tests.engine.test_store_fast import form_values  # noqa: E402  (the tests' own form filler)


def step(wf: BpmnWorkflow, definition: Definition, rnd: random.Random, force: dict[str, Any]) -> bool:
    """Complete one ready human task (or fire a waiting timer); False when nothing is left."""
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        waiting = [t for t in wf.get_tasks(state=TaskState.WAITING)
                   if getattr(t.task_spec, "event_definition", None) is not None]
        if not waiting:
            return False
        waiting[0]._set_internal_data(event_fired=True)
        wf.refresh_timers()
    else:
        task = ready[0]
        spec = definition.steps.get(task.task_spec.bpmn_id)
        task.data.update(form_values(spec.fields if spec else (), rnd, force))
        task.run()
    wf.do_engine_steps()
    return True


def start(definition: Definition, rnd: random.Random) -> BpmnWorkflow:
    wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=make_script_engine())
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update({"ho_ten": "Nguyễn Văn An", **form_values(definition.start_fields, rnd, {})})
    wf.do_engine_steps()
    return wf


def cases() -> list[tuple[str, Definition, BpmnWorkflow, dict[str, Any]]]:
    out = []
    three = load_definition((ROOT / "tests" / "data" / "three_agencies.bpmn").read_bytes())
    rnd = random.Random(1)
    wf = start(three, rnd)
    for _ in range(3):
        step(wf, three, rnd, {})
    out.append(("three_agencies, 3 steps", three, wf, {}))
    rnd = random.Random(2)
    wf = start(three, rnd)
    for _ in range(20):  # ten supplement rounds (examine + supplement each)
        step(wf, three, rnd, {"ket_qua": "bo_sung"})
    out.append(("three_agencies, 10 supplement rounds", three, wf, {"ket_qua": "bo_sung"}))
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        try:
            definition = load_definition(path.read_bytes(), path.name)
        except DefinitionError:
            continue
        rnd = random.Random(3)
        full = start(definition, rnd)
        total = 0
        while step(full, definition, rnd, {}) and total < 60:
            total += 1
        rnd = random.Random(3)
        wf = start(definition, rnd)
        for _ in range(max(total // 2, 1)):
            step(wf, definition, rnd, {})
        out.append((f"{path.stem}, {max(total // 2, 1)} of {total} steps", definition, wf, {}))
    return out


def best_us(func: Any, number: int) -> float:
    """µs per call, best of 10 rounds (timeit's advice: the others measure the machine's other work)."""
    runs = timeit.repeat(func, number=max(number // 10, 1), repeat=10)
    return min(runs) / max(number // 10, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=300)
    args = parser.parse_args()
    codec = WorkflowCodec()
    serializer = codec._serializer

    def library_loads(text: str, definition: Definition) -> BpmnWorkflow:
        dct = json.loads(text)
        serializer.migrate(dct)
        dct["spec"], dct["subprocess_specs"] = definition.spec, definition.subprocess_specs
        workflow: BpmnWorkflow = serializer.from_dict(dct)
        return workflow

    print(f"{'workflow':48} {'tasks':>5} {'bytes':>6} | {'loads lib':>9} {'fast':>6} | "
          f"{'dumps lib':>9} {'fresh':>6} {'again':>6}")
    for name, definition, wf, force in cases():
        text = codec.dumps(wf)
        loads_lib = best_us(lambda: library_loads(text, definition), args.number)  # noqa: B023
        loads_fast = best_us(lambda: codec.loads(text, definition.spec, definition.subprocess_specs),  # noqa: B023
                               args.number)
        dumps_lib = best_us(lambda: serializer.serialize_json(wf), args.number)  # noqa: B023
        fresh = [codec.loads(text, definition.spec, definition.subprocess_specs) for _ in range(args.number)]
        it = iter(fresh)
        dumps_fresh = best_us(lambda: codec.dumps(next(it)), args.number)  # noqa: B023
        # The same object dumped again after one more step: the save after a completion.
        again: list[float] = []
        rnd = random.Random(5)
        for _ in range(20):
            loaded = codec.loads(text, definition.spec, definition.subprocess_specs)
            loaded.script_engine = make_script_engine()
            codec.dumps(loaded)
            if not step(loaded, definition, rnd, force):
                break
            again.append(best_us(lambda: codec.dumps(loaded), 10))  # noqa: B023
        dumps_again = statistics.median(again) if again else float("nan")
        print(f"{name:48} {len(wf.tasks):5} {len(text):6} | {loads_lib:9.0f} {loads_fast:6.0f} | "
              f"{dumps_lib:9.0f} {dumps_fresh:6.0f} {dumps_again:6.0f}")


if __name__ == "__main__":
    main()

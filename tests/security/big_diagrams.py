"""Large diagrams that are valid BPMN: a long chain of steps, and a wide parallel split.

Built as text (no layout): what an attacker or a careless generator may upload, within the size
limit, to see whether the validator's work grows faster than the file.
"""

from __future__ import annotations

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_big" '
         'targetNamespace="http://bpmn.io/schema/bpmn">\n'
         '<bpmn:process id="Process_big" name="Big" isExecutable="true">\n'
         '<bpmn:extensionElements><camunda:properties>'
         '<camunda:property name="procedure_code" value="BIG.1" />'
         '<camunda:property name="legal_working_days" value="{legal}" />'
         '</camunda:properties></bpmn:extensionElements>\n')
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def _task(tid: str, incoming: list[str], outgoing: list[str]) -> str:
    flows = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
    flows += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing)
    return (f'<bpmn:userTask id="{tid}" name="Bước {tid}"><bpmn:extensionElements><camunda:properties>'
            f'<camunda:property name="working_days" value="0.001" /></camunda:properties>'
            f'</bpmn:extensionElements>{flows}</bpmn:userTask>\n')


def _flow(fid: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}" />\n'


def _lanes(ids: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f'<bpmn:laneSet id="LaneSet_big"><bpmn:lane id="Lane_big" name="CA">{refs}</bpmn:lane></bpmn:laneSet>\n'


def chain(n: int) -> bytes:
    """Start → T1 → T2 → … → Tn → End."""
    tasks = [f"T{i}" for i in range(1, n + 1)]
    parts = [_HEAD.format(legal=n), _lanes(["S", *tasks, "E"]),
             '<bpmn:startEvent id="S"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>\n']
    for i, tid in enumerate(tasks, start=1):
        parts.append(_task(tid, [f"F{i - 1}"], [f"F{i}"]))
    parts.append(f'<bpmn:endEvent id="E"><bpmn:incoming>F{n}</bpmn:incoming></bpmn:endEvent>\n')
    parts += [_flow(f"F{i}", "S" if i == 0 else f"T{i}", "E" if i == n else f"T{i + 1}") for i in range(n + 1)]
    parts.append(_TAIL)
    return "".join(parts).encode()


def wide(n: int) -> bytes:
    """Start → parallel split into n steps → join → End."""
    tasks = [f"T{i}" for i in range(1, n + 1)]
    parts = [_HEAD.format(legal=10), _lanes(["S", "Split", *tasks, "Join", "E"]),
             '<bpmn:startEvent id="S"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>\n',
             '<bpmn:parallelGateway id="Split"><bpmn:incoming>F0</bpmn:incoming>'
             + "".join(f"<bpmn:outgoing>A{i}</bpmn:outgoing>" for i in range(1, n + 1)) + "</bpmn:parallelGateway>\n",
             '<bpmn:parallelGateway id="Join">'
             + "".join(f"<bpmn:incoming>B{i}</bpmn:incoming>" for i in range(1, n + 1))
             + "<bpmn:outgoing>FE</bpmn:outgoing></bpmn:parallelGateway>\n",
             '<bpmn:endEvent id="E"><bpmn:incoming>FE</bpmn:incoming></bpmn:endEvent>\n',
             _flow("F0", "S", "Split"), _flow("FE", "Join", "E")]
    for i, tid in enumerate(tasks, start=1):
        parts += [_task(tid, [f"A{i}"], [f"B{i}"]), _flow(f"A{i}", "Split", tid), _flow(f"B{i}", tid, "Join")]
    parts.append(_TAIL)
    return "".join(parts).encode()

"""Large diagrams, written as compactly as BPMN allows: a long chain of steps, and a wide parallel split.

Built as text (no layout, default namespace, short ids): what an attacker or a careless generator
may upload, under the 2 MB size limit, to see whether the validator's work grows faster than the file.
Steps carry no ``working_days`` (each is one more error to report: work for the validator too).
"""

from __future__ import annotations

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="x">\n'
         '<process id="P" isExecutable="true"><extensionElements><camunda:properties>'
         '<camunda:property name="procedure_code" value="BIG.1"/>'
         '<camunda:property name="legal_working_days" value="10"/></camunda:properties></extensionElements>\n')
_TAIL = "</process>\n</definitions>\n"


def _task(tid: str, incoming: str, outgoing: str) -> str:
    return f'<userTask id="{tid}"><incoming>{incoming}</incoming><outgoing>{outgoing}</outgoing></userTask>\n'


def _flow(fid: str, source: str, target: str) -> str:
    return f'<sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"/>\n'


def _lane(ids: list[str]) -> str:
    refs = "".join(f"<flowNodeRef>{i}</flowNodeRef>" for i in ids)
    return f'<laneSet id="LS"><lane id="L" name="CA">{refs}</lane></laneSet>\n'


def chain(n: int) -> bytes:
    """Start → T1 → T2 → … → Tn → End."""
    tasks = [f"T{i}" for i in range(1, n + 1)]
    parts = [_HEAD, _lane(["S", *tasks, "E"]), '<startEvent id="S"><outgoing>F0</outgoing></startEvent>\n']
    parts += [_task(tid, f"F{i - 1}", f"F{i}") for i, tid in enumerate(tasks, start=1)]
    parts.append(f'<endEvent id="E"><incoming>F{n}</incoming></endEvent>\n')
    parts += [_flow(f"F{i}", "S" if i == 0 else f"T{i}", "E" if i == n else f"T{i + 1}") for i in range(n + 1)]
    parts.append(_TAIL)
    return "".join(parts).encode()


def wide(n: int) -> bytes:
    """Start → parallel split into n steps → join → End."""
    tasks = [f"T{i}" for i in range(1, n + 1)]
    parts = [_HEAD, _lane(["S", "G", *tasks, "J", "E"]), '<startEvent id="S"><outgoing>F0</outgoing></startEvent>\n',
             '<parallelGateway id="G"><incoming>F0</incoming>'
             + "".join(f"<outgoing>A{i}</outgoing>" for i in range(1, n + 1)) + "</parallelGateway>\n",
             '<parallelGateway id="J">' + "".join(f"<incoming>B{i}</incoming>" for i in range(1, n + 1))
             + "<outgoing>FE</outgoing></parallelGateway>\n",
             '<endEvent id="E"><incoming>FE</incoming></endEvent>\n', _flow("F0", "S", "G"), _flow("FE", "J", "E")]
    for i, tid in enumerate(tasks, start=1):
        parts += [_task(tid, f"A{i}", f"B{i}"), _flow(f"A{i}", "G", tid), _flow(f"B{i}", tid, "J")]
    parts.append(_TAIL)
    return "".join(parts).encode()


def decisions(n: int) -> bytes:
    """Start → (T_i → gateway_i: «if x_i then end» else next) × n → End: a condition to check per step."""
    parts = [_HEAD, _lane(["S", *(f"T{i}" for i in range(n)), *(f"G{i}" for i in range(n)), "X", "E"]),
             '<startEvent id="S"><outgoing>F0</outgoing></startEvent>\n',
             '<endEvent id="X">' + "".join(f"<incoming>Y{i}</incoming>" for i in range(n)) + "</endEvent>\n",
             f'<endEvent id="E"><incoming>F{n}</incoming></endEvent>\n', _flow("F0", "S", "T0")]
    for i in range(n):
        parts.append(f'<userTask id="T{i}"><extensionElements><camunda:formData><camunda:formField id="x{i}" '
                     f'type="boolean"/></camunda:formData></extensionElements><incoming>F{i}</incoming>'
                     f'<outgoing>H{i}</outgoing></userTask>\n')
        parts.append(f'<exclusiveGateway id="G{i}" default="F{i + 1}"><incoming>H{i}</incoming>'
                     f'<outgoing>F{i + 1}</outgoing><outgoing>Y{i}</outgoing></exclusiveGateway>\n')
        parts += [_flow(f"H{i}", f"T{i}", f"G{i}"), _flow(f"F{i + 1}", f"G{i}", f"T{i + 1}" if i + 1 < n else "E"),
                  f'<sequenceFlow id="Y{i}" sourceRef="G{i}" targetRef="X"><conditionExpression>x{i} == True '
                  f'and x0 == True</conditionExpression></sequenceFlow>\n']
    parts.append(_TAIL)
    return "".join(parts).encode()

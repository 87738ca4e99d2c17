"""Diagrams that buy unbounded work: the validator's cost stays small, every number has a range.

A 10,000-step chain (1.8 MB, under the upload limit) once held a worker for eight minutes; a legal
limit of 1,000,000 working days made each reception walk the calendar for 27 s, and 3,000,000 ended
in an OverflowError. Each is now refused at once with a clear message, at validation and at deploy,
and the calendar itself refuses such counts and dates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from engine.calendar import WorkingCalendar
from engine.errors import DefinitionError, InvalidInput
from engine.xmlsafe import MAX_XML_BYTES
from tests.conftest import DATA
from tests.security.big_diagrams import chain, decisions, wide
from tests.security.conftest import snapshot

SOURCE = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")

#: name → a diagram under the 2 MB limit and the words its refusal carries (None: within the bounds).
LARGE = {
    "chain_10000_steps": (lambda: chain(10_000), "phần tử luồng"),
    "parallel_6000_branches": (lambda: wide(6_000), "phần tử luồng"),
    "decisions_at_the_bound": (lambda: decisions(198), None),  # 398 nodes, a condition per step
}


@pytest.mark.parametrize("name", list(LARGE))
def test_large_diagrams_are_validated_within_a_bound(tmp_path: Path, db_url: str, world, name: str):
    build, word = LARGE[name]
    data = build()
    assert len(data) <= MAX_XML_BYTES
    path = tmp_path / f"{name}.bpmn"
    path.write_bytes(data)
    cli = Path(sys.executable).with_name("lienthong")
    # The bound is the subprocess's timeout (interpreter start included); the figure is in docs/performance.md.
    result = subprocess.run([str(cli), "validate", str(path)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "DATABASE_URL": db_url})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    if word is not None:
        assert len(lines) <= 3 and all(word in line or "luồng" in line for line in lines), lines
    else:  # within the bounds: every step is checked (each lacks its working_days)
        assert sum("working_days" in line for line in lines) == 198


@pytest.mark.parametrize("days", ["1000000", "3000000"])
def test_a_legal_limit_beyond_3650_days_never_deploys(engine, world, days: str):
    before = snapshot(engine)
    data = SOURCE.replace('name="legal_working_days" value="5"', f'name="legal_working_days" value="{days}"')
    with pytest.raises(DefinitionError) as refused:
        engine.deploy(data.encode(), filename="huge.bpmn")
    assert any("3.650" in p.message and p.element == "Process_test" for p in refused.value.problems)
    assert snapshot(engine) == before


@pytest.mark.parametrize("days", ["1000000", "3000000"])
def test_a_step_budget_beyond_3650_days_is_refused_when_loading(days: str):
    from engine.definitions import load_definition

    data = SOURCE.replace('name="working_days" value="2"', f'name="working_days" value="{days}"')
    with pytest.raises(DefinitionError) as refused:
        load_definition(data.encode())
    assert any("3.650" in p.message and p.element == "Examine" for p in refused.value.problems)


START = datetime(2026, 3, 2, 8)


@pytest.mark.parametrize("call", [
    lambda c: c.add(START, days=1_000_000),
    lambda c: c.add(START, days=3_000_000),
    lambda c: c.due(START, "1000000"),
    lambda c: c.add_duration(START, "P3000000D"),
    lambda c: c.add_working_seconds(START, 10 ** 15),
    lambda c: c.budget_seconds(hours=10 ** 9),
])
def test_the_calendar_refuses_counts_beyond_3650_working_days(call):
    with pytest.raises(InvalidInput, match=r"3\.650"):
        call(WorkingCalendar())


@pytest.mark.parametrize("call", [
    lambda c: c.due(datetime(9999, 12, 30, 8), 5),
    lambda c: c.add(datetime(9999, 12, 31, 23, 59), days=1),
    lambda c: c.working_seconds(datetime(1, 1, 1), datetime(9999, 12, 31)),
    lambda c: c.measure(START, datetime(9999, 12, 31)),
    lambda c: c.counting_start(datetime(1, 1, 1)),
])
def test_the_calendar_refuses_dates_far_from_now(call):
    with pytest.raises(InvalidInput):
        call(WorkingCalendar())


def test_the_calendar_still_counts_within_its_bounds():
    c = WorkingCalendar()
    assert c.add(START, days=3650) > c.localize(START)
    assert c.working_seconds(START, datetime(2040, 1, 1)) > 0
    with pytest.raises(InvalidInput, match="20 năm"):
        c.working_seconds(datetime(1990, 1, 1), datetime(2026, 1, 1))


def _calc_loop(target: str) -> bytes:
    """three_agencies with a script Calc after the examination and a gateway whose default goes back to ``target``."""
    out = SOURCE.replace('<bpmn:sequenceFlow id="F3" sourceRef="Examine" targetRef="Gw_result" />',
                         '<bpmn:sequenceFlow id="F3" sourceRef="Examine" targetRef="Calc" />'
                         '<bpmn:sequenceFlow id="F3b" sourceRef="Calc" targetRef="Gw_again" />'
                         f'<bpmn:sequenceFlow id="F_again" sourceRef="Gw_again" targetRef="{target}" />'
                         '<bpmn:sequenceFlow id="F_on" sourceRef="Gw_again" targetRef="Gw_result">'
                         '<bpmn:conditionExpression>phi &gt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>')
    out = out.replace('<bpmn:exclusiveGateway id="Gw_result"',
                      '<bpmn:scriptTask id="Calc" name="Tính phí" scriptFormat="python"><bpmn:script>phi = 1'
                      '</bpmn:script></bpmn:scriptTask><bpmn:exclusiveGateway id="Gw_again" name="Đủ chưa?" '
                      'default="F_again" /><bpmn:exclusiveGateway id="Gw_result"')
    return out.replace("<bpmn:flowNodeRef>Gw_result</bpmn:flowNodeRef>",
                       "<bpmn:flowNodeRef>Calc</bpmn:flowNodeRef><bpmn:flowNodeRef>Gw_again</bpmn:flowNodeRef>"
                       "<bpmn:flowNodeRef>Gw_result</bpmn:flowNodeRef>").encode()


@pytest.mark.parametrize(("target", "named"), [("Calc", ["Tính phí", "Đủ chưa?"]),
                                             ("Gw_again", ["«Đủ chưa?»"])])
def test_a_loop_no_official_takes_part_in_is_warned_about_naming_its_elements(world, target, named):
    from engine.validation import validate_bpmn

    problems = validate_bpmn(_calc_loop(target))
    assert not [p for p in problems if p.is_error], [p.format() for p in problems if p.is_error]
    loops = [p for p in problems if "Vòng lặp" in p.message]
    assert len(loops) == 1 and not loops[0].is_error
    assert all(name in loops[0].message for name in named), loops[0].message

"""Broken diagrams get clean answers: the validator lists problems, the loader raises DefinitionError.

Hypothesis mutates the real procedures of workflows/ (deletes elements, duplicates ids, scribbles on
attributes, breaks references, truncates the file, inserts random XML, replaces conditions and
working_days with random text). Whatever comes out, ``validate_bpmn`` returns a list of Problems
without falling back on its last-resort "validation failed" message (which would hide a crash), and
``load_definition`` either loads or raises DefinitionError: never any other exception.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from engine.catalog import KindRecord, lane_records
from engine.definitions import Definition, load_definition
from engine.errors import DefinitionError
from engine.problems import Problem
from engine.validation import AgencyRef, validate_bpmn
from tests.conftest import ROOT

WORKFLOWS = ROOT / "workflows"
SOURCES = {p.name: p.read_bytes() for p in sorted(WORKFLOWS.glob("*.bpmn"))}
AGENCIES = [AgencyRef(a.code, a.name, isinstance(a, KindRecord)) for a in lane_records(WORKFLOWS / "agencies.toml")]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
REFERENCES = ("sourceRef", "targetRef", "default", "attachedToRef", "processRef", "id", "calledElement")
TAGS = [f"{{{BPMN}}}{t}" for t in ("userTask", "scriptTask", "serviceTask", "sequenceFlow", "exclusiveGateway",
                                     "parallelGateway", "inclusiveGateway", "startEvent", "endEvent", "lane",
                                     "subProcess", "boundaryEvent", "intermediateCatchEvent", "timerEventDefinition",
                                     "timeDuration", "timeCycle", "conditionExpression", "incoming", "outgoing",
                                     "flowNodeRef", "extensionElements", "process", "callActivity", "dataObject",
                                     "multiInstanceLoopCharacteristics", "script")]
TAGS += [f"{{{CAMUNDA}}}{t}" for t in ("properties", "property", "formData", "formField", "validation",
                                         "constraint", "value")] + ["foo", "{urn:x}bar"]
LAST_RESORT = "Không kiểm tra được tệp"

#: Text XML can carry (no surrogates or control characters, which lxml refuses to set).
xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
odd_text = st.one_of(xml_text, st.sampled_from(["", " ", "0", "-1", "1e9", "NaN", "Infinity", "1,5", "0.5.5",
                                                "P2D", "${a == true}", "__import__('os')", "10**10**8",
                                                "a" * 300, "Bộ phận Một cửa", "=1+1", "<x>", "&amp;"]))


def _tree(data: bytes) -> Any:
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _bytes(root: Any) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _pick(draw: Any, items: list[Any]) -> Any:
    assume(items)  # earlier mutations may have removed everything of that kind
    return items[draw(st.integers(0, len(items) - 1))]


def delete_element(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    element = _pick(draw, [e for e in root.iter() if e is not root and e.getparent() is not None])
    element.getparent().remove(element)
    return _bytes(root)


def duplicate_id(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    with_ids = [e for e in root.iter() if isinstance(e.tag, str) and e.get("id")]
    _pick(draw, with_ids).set("id", _pick(draw, with_ids).get("id"))
    return _bytes(root)


def scribble_attribute(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    element = _pick(draw, [e for e in root.iter() if isinstance(e.tag, str) and e.attrib])
    element.set(_pick(draw, list(element.attrib)), draw(odd_text))
    return _bytes(root)


def break_reference(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    found = [(e, a) for e in root.iter() if isinstance(e.tag, str) for a in REFERENCES if e.get(a) is not None]
    refs = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname in (
        "incoming", "outgoing", "flowNodeRef")]
    ids = [e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")]
    target = draw(st.one_of(st.sampled_from(ids), xml_text))
    if refs and draw(st.booleans()):
        _pick(draw, refs).text = target
    else:
        element, attr = _pick(draw, found)
        element.set(attr, target)
    return _bytes(root)


def truncate(data: bytes, draw: Any) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def insert_xml(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    parent = _pick(draw, [e for e in root.iter() if isinstance(e.tag, str)])
    for _ in range(draw(st.integers(1, 3))):
        child = etree.SubElement(parent, draw(st.sampled_from(TAGS)))
        for attr in draw(st.lists(st.sampled_from(["id", "name", "sourceRef", "targetRef", "value", "type",
                                                   "isExecutable", "attachedToRef", "default"]), max_size=4)):
            child.set(attr, draw(odd_text))
        if draw(st.booleans()):
            child.text = draw(odd_text)
        parent = child if draw(st.booleans()) else parent
    return _bytes(root)


def insert_bytes(data: bytes, draw: Any) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]


def swap_condition(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    conditions = list(root.iter(f"{{{BPMN}}}conditionExpression", f"{{{BPMN}}}timeDuration", f"{{{BPMN}}}script"))
    _pick(draw, conditions).text = draw(odd_text)
    return _bytes(root)


def working_days(data: bytes, draw: Any) -> bytes:
    root = _tree(data)
    props = [e for e in root.iter(f"{{{CAMUNDA}}}property") if e.get("name") in (
        "working_days", "legal_working_days", "reduced_working_days", "procedure_code", "outcome", "step_kind")]
    _pick(draw, props).set("value", draw(odd_text))
    return _bytes(root)


MUTATIONS = [delete_element, duplicate_id, scribble_attribute, break_reference, truncate, insert_xml, insert_bytes,
             swap_condition, working_days]


def check(data: bytes) -> None:
    problems = validate_bpmn(data, AGENCIES, file="fuzz.bpmn")
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
    crashed = [p.message for p in problems if p.message.startswith(LAST_RESORT)]
    assert not crashed, crashed
    assert all(p.message.strip() for p in problems)
    try:
        loaded = load_definition(data, "fuzz.bpmn")
    except DefinitionError as exc:
        assert exc.problems and all(p.message.strip() for p in exc.problems)
    else:
        assert isinstance(loaded, Definition)


def test_every_shipped_diagram_is_valid_before_mutation():
    assert len(SOURCES) >= 8
    for name, data in SOURCES.items():
        assert not [p for p in validate_bpmn(data, AGENCIES) if p.is_error], name


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(name=st.sampled_from(sorted(SOURCES)), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_one_mutation_gives_clean_answers(name: str, mutation: Any, data: Any) -> None:
    check(mutation(SOURCES[name], data.draw))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(name=st.sampled_from(sorted(SOURCES)), mutations=st.lists(st.sampled_from(MUTATIONS), min_size=2, max_size=5),
       data=st.data())
def test_several_mutations_give_clean_answers(name: str, mutations: list[Any], data: Any) -> None:
    source = SOURCES[name]
    for mutation in mutations:
        try:
            _tree(source)
        except etree.XMLSyntaxError:
            break  # a truncated or byte-scribbled file: structural mutations no longer apply
        source = mutation(source, data.draw)
    check(source)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_clean_answers(data: bytes) -> None:
    check(data)

"""Random form data for the fields of real steps: one message per bad field, or a clean idempotent result.

``validate_form`` either raises FormInvalid whose messages are exactly those each bad field (or unknown
key) earns on its own, or returns typed values that it accepts again unchanged. Through the engine, a
random completion either raises FormInvalid and changes nothing, or completes the step with the
cleaned values.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.definitions import load_definition
from engine.errors import FormInvalid
from engine.forms import DEFAULT_MAX_LENGTH, FieldSpec, date_bound, validate_form
from tests.conftest import DATA, ROOT
from tests.engine.test_runtime import APPLICANT
from tests.security.conftest import snapshot


def _forms() -> list[tuple[str, tuple[FieldSpec, ...]]]:
    out = []
    for path in [*sorted((ROOT / "workflows").glob("*.bpmn")), DATA / "three_agencies.bpmn"]:
        definition = load_definition(path.read_bytes(), path.name)
        if definition.start_fields:
            out.append((f"{path.stem}:start", definition.start_fields))
        out.extend((f"{path.stem}:{s.element_id}", s.fields) for s in definition.steps.values() if s.fields)
    return out


FORMS = _forms()
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                        st.text(max_size=30))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(st.text(max_size=5), inner,
                                                                               max_size=3)), max_leaves=8)


def _number(spec: FieldSpec, name: str) -> int | None:
    raw = spec.constraints.get(name)
    try:
        return int(Decimal(str(raw))) if raw not in (None, "") else None
    except Exception:
        return None


def near(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Values close to what the field accepts: at, inside and just outside its constraints."""
    if spec.type == "boolean":
        return st.sampled_from([True, False, "on", "true", "có", "không", "off", "", "yes", "maybe", 1, 0, "2"])
    if spec.type == "long":
        low, high = _number(spec, "min"), _number(spec, "max")
        edges = [v + d for v in (low, high) if v is not None for d in (-1, 0, 1)] + [0, 10**15, 10**15 + 1]
        number = st.one_of(st.sampled_from(edges), st.integers(-(10**16), 10**16))
        return st.one_of(number, number.map(str), number.map(lambda n: f" {n:,} ".replace(",", ".")),
                         st.sampled_from(["12a", "1.5", "1e3", "", " ", "-", "١٢", "9" * 5000]), st.floats())
    if spec.type == "date":
        bounds = [date_bound(spec, k, date.today()) for k in ("min", "max")]
        bounds = [b for b in bounds if b is not None]
        edges = [b + timedelta(days=d) for b in bounds or [date(2026, 3, 2)] for d in (-1, 0, 1)]
        day = st.one_of(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.sampled_from(edges))
        return st.one_of(day.map(date.isoformat), day.map(lambda d: d.strftime("%d/%m/%Y")),
                         day.map(lambda d: d.strftime("%Y%m%d")),
                         st.sampled_from(["2026-02-30", "2026-13-01", "", "hôm nay", "2026-03-02T08:00"]))
    if spec.type == "enum":
        ids = [v[0] for v in spec.enum_values] or ["x"]
        return st.one_of(st.sampled_from(ids), st.sampled_from(ids).map(lambda v: f" {v} "),
                         st.sampled_from(ids).map(str.upper), st.text(max_size=10))
    limit = _number(spec, "maxlength") or DEFAULT_MAX_LENGTH
    return st.one_of(st.text(max_size=20), st.integers(limit - 1, limit + 1).map(lambda n: "ạ" * n),
                     st.sampled_from(["", "   ", "<script>", "=1+1"]), st.integers(), st.floats(allow_nan=False))


@st.composite
def form_data(draw: Any, fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in fields:
        choice = draw(st.integers(0, 9))
        if choice < 6:
            data[spec.id] = draw(near(spec))
        elif choice < 8:
            data[spec.id] = draw(json_value)
    if draw(st.integers(0, 4)) == 0:
        data.update(draw(st.dictionaries(st.text(max_size=80), json_value, max_size=3)))
    return data


def _alone(spec: FieldSpec, data: dict[str, Any]) -> str | None:
    """The message the field earns on its own, if any."""
    try:
        validate_form([spec], {spec.id: data[spec.id]} if spec.id in data else {})
    except FormInvalid as exc:
        return exc.errors[spec.id]
    return None


@settings(max_examples=600, deadline=None)
@given(st.data())
def test_random_data_gives_field_messages_or_an_idempotent_clean_result(data: Any) -> None:
    name, fields = data.draw(st.sampled_from(FORMS), label="form")
    values = data.draw(form_data(fields), label="values")
    known = {f.id for f in fields}
    try:
        cleaned = validate_form(fields, values)
    except FormInvalid as exc:
        assert exc.errors, name
        assert all(isinstance(m, str) and m.strip() for m in exc.errors.values())
        expected = {str(k)[:64] for k in values if k not in known}
        expected |= {spec.id for spec in fields if _alone(spec, values) is not None}
        assert set(exc.errors) == expected, (name, values, exc.errors)
        for spec in fields:
            if spec.id in exc.errors:
                assert exc.errors[spec.id] == _alone(spec, values)
    else:
        assert set(cleaned) <= known and not set(values) - known
        assert {f.id for f in fields if not f.readonly or f.default is not None} <= set(cleaned)
        assert validate_form(fields, cleaned) == cleaned, (name, values, cleaned)
        for spec in fields:
            assert cleaned.get(spec.id) is None or type(cleaned[spec.id]) is {
                "boolean": bool, "long": int}.get(spec.type, str), (spec, cleaned[spec.id])


EXAMINE = next(fields for name, fields in FORMS if name == "three_agencies:Examine")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=form_data(EXAMINE), note=st.one_of(st.just(""), st.text(max_size=50)))
def test_random_completions_either_change_nothing_or_complete(engine, world, deployed, values, note) -> None:
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    engine.claim(world["clerk"], d.open_steps[0].id)
    step = engine.complete(world["clerk"], d.open_steps[0].id, {}).open_steps[0]  # this dossier's Examine
    engine.claim(world["officer"], step.id)
    before = snapshot(engine)
    try:
        done = engine.complete(world["officer"], step.id, values, note=note)
    except FormInvalid as exc:
        assert exc.errors
        assert snapshot(engine) == before
        assert engine.dossier(d.code).open_steps[0].state == "claimed"
        return
    cleaned = validate_form(EXAMINE, values)
    examined = next(s for s in done.steps if s.id == step.id)
    assert (examined.state, examined.form_data, examined.note) == ("completed", cleaned, note.strip())
    expected_next = {"dat": {"Opinion_div", "Opinion_police"}, "bo_sung": {"Supplement"}, "khong_dat": set()}
    assert {s.element_id for s in done.open_steps} == expected_next[cleaned["ket_qua"]]


START = next(fields for name, fields in FORMS if name == "three_agencies:start")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=form_data(START))
def test_random_start_data_either_receives_nothing_or_a_dossier(engine, world, deployed, values) -> None:
    before = snapshot(engine)
    try:
        d = engine.start_dossier(world["clerk"], deployed, APPLICANT, values)
    except FormInvalid:
        assert snapshot(engine) == before
        return
    assert d.data == validate_form(START, values)

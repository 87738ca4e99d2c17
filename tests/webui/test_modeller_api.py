"""The modeller's JSON endpoints: the lane picker offers agency kinds (labelled as kinds) and agencies,
and a lane named by a kind is what the validator accepts and a draft keeps."""

from __future__ import annotations

import re

import pytest

from engine import approval, read_bpmn
from tests import kind_world
from tests.conftest import DATA
from tests.webui.helpers import login

KIND_LANES = (DATA / "kind_lanes.bpmn").read_bytes()  # lanes "UBND cấp xã" and "Sở Nội vụ": two kinds


@pytest.fixture
def designer(client, engine, world):
    kind_world.build(engine)
    login(client, "designer")
    page = client.get("/designer/modeler").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _validate(client, token: str, xml: bytes) -> list[dict]:
    response = client.post("/designer/api/validate", data=xml,
                           headers={"X-CSRFToken": token, "Content-Type": "application/xml"})
    assert response.status_code == 200
    return response.get_json()["problems"]


def test_the_picker_offers_kinds_labelled_as_kinds_and_agencies(client, designer):
    body = client.get("/designer/api/agencies").get_json()
    kinds = {k["code"]: k for k in body["kinds"]}
    assert kinds["ubnd_xa"] == {"code": "ubnd_xa", "name": "UBND cấp xã", "level": "commune",
                                "public_name": "UBND cấp xã nơi cư trú", "label": "Loại cơ quan: UBND cấp xã"}
    assert kinds["so_noi_vu"]["level"] == "province"
    agencies = {a["code"] for a in body["agencies"]}
    assert {"UBND.X01", "UBND.X02", "SNV"} <= agencies and not agencies & set(kinds)
    assert body["labels"]["kinds"].startswith("Loại cơ quan")
    english = client.get("/designer/api/agencies?lang=en").get_json()
    assert {k["label"] for k in english["kinds"]} >= {"Agency kind: UBND cấp xã", "Agency kind: Sở Nội vụ"}
    assert english["labels"]["agencies"] == "Agencies of the registry"


def test_a_lane_named_by_a_kind_validates_and_is_saved(client, engine, designer):
    assert [p for p in _validate(client, designer, KIND_LANES) if p["severity"] == "ERROR"] == []
    # A name that is neither a kind nor an agency is refused, the kinds offered as the closest.
    unknown = KIND_LANES.replace('name="UBND cấp xã"'.encode(), 'name="UBND cấp xa"'.encode())
    errors = [p for p in _validate(client, designer, unknown) if p["severity"] == "ERROR"]
    assert len(errors) == 1 and "«UBND cấp xã» (loại cơ quan)" in errors[0]["message"]

    response = client.post("/designer/api/drafts", json={"xml": KIND_LANES.decode()},
                           headers={"X-CSRFToken": designer})
    assert response.status_code == 200, response.get_json()
    saved = approval.draft(engine, response.get_json()["draft_id"])
    lanes = [lane.name for p in read_bpmn(saved.bpmn).processes for lane in p.lanes]
    assert lanes == ["UBND cấp xã", "Sở Nội vụ"]

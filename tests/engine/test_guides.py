"""Filling guides kept beside the procedures: every citizens' form of every shipped procedure has one,
its field ids exist in the procedure's start form (or are applicant./paper. fields), and the PDFs are
real PDFs carrying the sample values."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from engine import guides
from engine.definitions import load_definition
from engine.errors import InvalidInput
from tests.conftest import ROOT

WORKFLOWS = ROOT / "workflows"


def shipped() -> list[tuple[dict, Path]]:
    """(metadata, diagram) of every shipped procedure."""
    out = []
    for meta_path in sorted(WORKFLOWS.glob("*.toml")):
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
        if "process_id" in meta and meta_path.with_suffix(".bpmn").exists():
            out.append((meta, meta_path.with_suffix(".bpmn")))
    return out


def start_ids(bpmn: Path) -> set[str]:
    return {f.id for f in load_definition(bpmn.read_bytes()).start_fields}


@pytest.mark.parametrize("meta,bpmn", shipped(), ids=lambda v: v["code"] if isinstance(v, dict) else "")
def test_every_citizens_form_of_every_shipped_procedure_has_a_valid_guide(meta, bpmn):
    if meta.get("level") == "internal":
        assert guides.guides_of(meta["code"]) is None  # not a citizens' procedure: nothing published
        return
    found = guides.guides_of(meta["code"])
    assert found is not None, f"workflows/guides/{meta['code']}.toml is missing"
    assert found.procedure == meta["code"]
    assert {f.id for f in found.forms} == {f["id"] for f in meta.get("forms", [])}
    guides.check(found, start_ids(bpmn))
    for form in found.forms:
        assert all(f.guide and f.sample for f in form.fields)
        # at least the start form's own fields are guided (what the online application shows)
    every = {f.id for form in found.forms for f in form.fields}
    assert start_ids(bpmn) <= every, sorted(start_ids(bpmn) - every)


def test_unknown_field_ids_are_refused():
    text = (WORKFLOWS / "guides" / "1.001731.toml").read_text(encoding="utf-8")
    bad = guides.parse(text.replace('id = "ngay_mat"', 'id = "ngay_chet"', 1))
    with pytest.raises(InvalidInput, match="ngay_chet"):
        guides.check(bad, start_ids(WORKFLOWS / "mai_tang_phi.bpmn"))
    with pytest.raises(InvalidInput, match=r"applicant\.cccd"):
        guides.check(guides.parse(text.replace('id = "applicant.id_number"', 'id = "applicant.cccd"', 1)),
                     start_ids(WORKFLOWS / "mai_tang_phi.bpmn"))


@pytest.mark.parametrize("broken", [
    "procedure = '../x'\n[[forms]]\nid='a'\ntitle='t'\n[[forms.fields]]\nid='x'\nlabel='l'\nguide='g'\nsample='s'\n",
    "procedure = 'P'\n",
    "procedure = 'P'\n[[forms]]\nid='a'\ntitle='t'\nfields=[]\n",
    "procedure = 'P'\n[[forms]]\nid='a'\ntitle='t'\n[[forms.fields]]\nid='x'\nlabel='l'\nguide=''\nsample='s'\n",
    "procedure = 'P'\n[[forms]]\nid='a'\ntitle='t'\n[[forms.fields]]\nid='x'\nlabel='l'\nguide='g'\nsample='s'\n"
    "extra='?'\n",
    "procedure = 'P'\n[[forms]]\nid='a'\ntitle='t'\nunconfirmed='yes'\n[[forms.fields]]\nid='x'\nlabel='l'\n"
    "guide='g'\nsample='s'\n",
    "not toml = = =",
])
def test_malformed_guide_files_are_refused(broken):
    with pytest.raises(InvalidInput):
        guides.parse(broken)


def test_a_code_cannot_reach_outside_the_guides_folder():
    assert guides.guides_of("../workflows/mai_tang_phi") is None
    assert guides.guides_of("..") is None


def pdf_text(data: bytes, tmp_path: Path) -> str:
    assert data.startswith(b"%PDF-")
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is needed"
    return subprocess.run([pdftotext, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_the_sample_pdf_carries_every_sample_and_the_blank_one_none(tmp_path):
    form = guides.guides_of("1.001731").form("mau_04")
    sample = " ".join(pdf_text(guides.form_pdf(form, "Hỗ trợ chi phí mai táng", filled=True), tmp_path).split())
    for field in form.fields:
        assert " ".join(field.sample.split()) in sample, field.sample
        assert field.label in sample
    assert "không phải bản sao mẫu chính thức" in sample  # unconfirmed: the official template is not claimed
    assert "Nghị định số 20/2021" not in sample
    blank = " ".join(pdf_text(guides.form_pdf(form, "Hỗ trợ chi phí mai táng", filled=False), tmp_path).split())
    assert form.title.upper() in blank and form.fields[0].label in blank
    assert all(field.sample not in blank for field in form.fields)

"""A procedure change runs only once a leader of the owning agency has approved it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine import approval
from engine.errors import Conflict, DefinitionError, InvalidInput, NotFound, PermissionDenied
from tests.conftest import DATA
from tests.engine.test_runtime import APPLICANT

BASE = (DATA / "three_agencies.bpmn").read_bytes()
OWNED = BASE.replace(b'<camunda:property name="legal_working_days" value="5" />',
                     b'<camunda:property name="legal_working_days" value="5" />'
                     b'<camunda:property name="owner_agency" value="PCM" />')
# The change: examination takes one day instead of two.
CHANGED = OWNED.replace(b'<camunda:property name="working_days" value="2" /><camunda:property name="step_kind" '
                        b'value="examine" />',
                        b'<camunda:property name="working_days" value="1" /><camunda:property name="step_kind" '
                        b'value="examine" />')


def test_a_submitted_version_receives_nothing_until_a_leader_approves_it(engine, world):
    submitted = approval.submit(engine, OWNED, actor=world["designer"], filename="t.bpmn")
    assert (submitted.version, submitted.created) == (1, True)
    with pytest.raises(NotFound):
        engine.start_dossier(world["clerk"], submitted.code, APPLICANT)
    assert engine.procedures() == []

    done = approval.approve(engine, world["lead_pcm"], submitted.code, 1, decision_number="12/QĐ-UBND",
                            decision_date=date(2026, 12, 1))
    assert done.version == 1
    summary = engine.procedure(submitted.code)
    assert (summary.version, summary.decision_number, summary.decision_date) == (1, "12/QĐ-UBND", date(2026, 12, 1))
    assert engine.start_dossier(world["clerk"], submitted.code, APPLICANT).code


def test_only_a_leader_of_the_owning_agency_decides(engine, world):
    result = approval.submit(engine, OWNED, actor=world["designer"])
    for who in ("leader", "officer", "designer"):  # a leader elsewhere, a non-leader of the agency
        with pytest.raises(PermissionDenied):
            approval.approve(engine, world[who], result.code, 1, decision_number="1", decision_date=date(2026, 1, 2))
        with pytest.raises(PermissionDenied):
            approval.send_back(engine, world[who], result.code, 1, reason="x")
    with pytest.raises(PermissionDenied):
        approval.submit(engine, CHANGED, actor=world["clerk"])


def test_a_diagram_without_an_owning_agency_cannot_be_submitted(engine, world):
    with pytest.raises(DefinitionError, match="owner_agency"):
        approval.submit(engine, BASE, actor=world["designer"])
    with pytest.raises(DefinitionError, match="NOPE"):
        approval.submit(engine, BASE.replace(b'value="T.000001" />', b'value="T.000001" />'
                                             b'<camunda:property name="owner_agency" value="NOPE" />'),
                        actor=world["designer"])
    assert engine.procedures() == []


def test_sent_back_then_resubmitted_then_approved(engine, world):
    result = approval.submit(engine, OWNED, actor=world["designer"])
    with pytest.raises(InvalidInput):
        approval.send_back(engine, world["lead_pcm"], result.code, 1, reason="  ")
    approval.send_back(engine, world["lead_pcm"], result.code, 1, reason="Thiếu bước lấy ý kiến")
    with pytest.raises(Conflict):
        approval.approve(engine, world["lead_pcm"], result.code, 1, decision_number="1",
                         decision_date=date(2026, 1, 2))
    again = approval.submit(engine, OWNED, actor=world["designer"])
    assert (again.version, again.created) == (1, True)
    with pytest.raises(InvalidInput):
        approval.approve(engine, world["lead_pcm"], result.code, 1, decision_number=" ", decision_date=date(2026, 1, 2))
    approval.approve(engine, world["lead_pcm"], result.code, 1, decision_number="5/QĐ", decision_date=date(2026, 1, 2))
    with pytest.raises(Conflict):
        approval.submit(engine, OWNED, actor=world["designer"])


def test_publishing_a_new_version_retires_the_old_one_and_running_dossiers_keep_theirs(engine, world):
    first = engine.deploy(OWNED, filename="t.bpmn", decision_number="1/QĐ", decision_date=date(2026, 1, 1))
    dossier = engine.start_dossier(world["clerk"], first.code, APPLICANT)
    approval.submit(engine, CHANGED, actor=world["designer"])
    assert engine.procedure(first.code).version == 1  # still in force while the change waits
    approval.approve(engine, world["lead_pcm"], first.code, 2, decision_number="2/QĐ", decision_date=date(2026, 2, 1))
    assert engine.procedure(first.code).version == 2
    assert engine.procedure(first.code, 1).version == 1
    assert engine.dossier(dossier.code, world["clerk"]).code == dossier.code
    versions = {(v.version, v.decision_number) for v in engine.procedures()}
    assert versions == {(2, "2/QĐ")}


def test_the_change_summary_shows_budgets_and_totals_against_the_limits(engine, world):
    engine.deploy(OWNED, filename="t.bpmn")
    approval.submit(engine, CHANGED, actor=world["designer"])
    summary = approval.change_summary(engine, "T.000001", 2)
    assert summary.base_version == 1 and summary.owner_agency == "PCM" and summary.submitted_by == "Designer"
    changed = {s.element_id: s for s in summary.changed}
    assert changed["Examine"].change == "budget"
    assert (changed["Examine"].old_days, changed["Examine"].new_days) == (Decimal(2), Decimal(1))
    assert summary.new is not None and summary.old is not None
    assert summary.new.main_path == summary.old.main_path - 1
    assert summary.new.legal == Decimal(5)


def test_a_new_procedure_lists_every_step_as_added(engine, world):
    approval.submit(engine, OWNED, actor=world["designer"])
    summary = approval.change_summary(engine, "T.000001", 1)
    assert summary.base_version is None and summary.old is None
    assert summary.steps and {s.change for s in summary.steps} == {"added"}


def test_drafts_keep_whatever_the_designer_drew(engine, world):
    saved = approval.save_draft(engine, world["designer"], b"<not xml")
    assert (saved.procedure_code, saved.bpmn) == ("", b"<not xml")
    again = approval.save_draft(engine, world["designer"], OWNED, saved.id)
    assert again.id == saved.id and again.procedure_code == "T.000001"
    assert approval.draft(engine, saved.id).bpmn == OWNED
    with pytest.raises(PermissionDenied):
        approval.save_draft(engine, world["clerk"], OWNED)
    with pytest.raises(NotFound):
        approval.save_draft(engine, world["designer"], OWNED, 999)
    with pytest.raises(InvalidInput):
        approval.save_draft(engine, world["designer"], b"")

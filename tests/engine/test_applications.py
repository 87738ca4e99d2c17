"""Online applications: submission checked like the desk's reception, the desk's decisions (accept,
supplement, refuse) with the desk's rules, notifications through the outbox, the online share."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import accounts, models, stats
from engine.application_models import Application, ApplicationDocument
from engine.documents import Documents
from engine.errors import Conflict, FormInvalid, InvalidInput, NotFound, PermissionDenied
from engine.runtime import Engine
from engine.services.applications import Upload
from engine.statuses import ApplicationStatus
from tests.conftest import DATA, PASSWORD, FakeClock, World, vn

METADATA = {"documents": [{"name": "Tờ khai đề nghị", "originals": 1},
                          {"name": "Giấy chứng tử", "copies": 1},
                          {"name": "Quyết định thôi hưởng lương hưu", "copies": 1, "required": False}]}
APPLICANT = {"name": "Trần Thị Bình", "id_number": "079123456789", "phone": "0901234567",
             "email": "binh@example.vn", "address": "Phan Thiết"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 13 + b"\x00" * 4
       + b"\x00\x00\x00\x00IEND\xaeB`\x82")
TWO = [Upload("to-khai-de-nghi", "to khai.pdf", PDF), Upload("giay-chung-tu", "chung tu.png", PNG)]


@pytest.fixture
def docs(engine: Engine, world: World, tmp_path: Path) -> Documents:
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    return Documents(engine, tmp_path / "documents", max_bytes=64 * 1024)


@pytest.fixture
def other_clerk(engine: Engine, world: World):
    with engine.transaction() as s:
        return accounts.add_official(s, "clerk_pcm", full_name="Clerk PCM", agency_code="PCM", roles="clerk",
                                     password=PASSWORD, now=engine.now())


def submit(engine: Engine, docs: Documents, files=TWO, **kw):
    return engine.submit_application("T.000001", kw.pop("applicant", APPLICANT), kw.pop("data", {"so_ban_sao": 2}),
                                     files, docs, **kw)


def count(engine: Engine, table) -> int:
    with engine.Session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_submission_stores_the_application_and_its_documents(engine, docs):
    done = submit(engine, docs)
    assert done.reference.startswith("TT-") and len(done.secret) >= 16
    app = engine.public_application(done.reference, done.secret)
    assert app.status == ApplicationStatus.SUBMITTED and app.receiving_agency_code == "000.00.15.H12"
    assert app.data == {"so_ban_sao": 2} and app.applicant["email"] == "binh@example.vn"
    assert [(d.requirement_key, d.media_type) for d in app.documents] == [
        ("to-khai-de-nghi", "application/pdf"), ("giay-chung-tu", "image/png")]
    assert docs.store.get(app.documents[0].sha256) == PDF
    typed = engine.public_application(done.reference.lower(), " ".join(done.secret.lower()))
    assert typed.reference == done.reference  # read out and typed: case and spaces aside
    with engine.Session() as s:  # the secret is kept only as its hash
        assert s.scalar(select(Application.secret_hash)) != done.secret


def test_wrong_secret_reads_as_unknown(engine, docs):
    done = submit(engine, docs)
    for reference, secret in [(done.reference, "sai"), (done.reference, ""), ("TT-AAAAA-AAAAA", done.secret)]:
        with pytest.raises(NotFound) as caught:
            engine.public_application(reference, secret)
        assert str(caught.value) == "Không có hồ sơ trực tuyến với mã và mã bí mật này"


@pytest.mark.parametrize(("change", "field"), [
    ({"files": TWO[:1]}, "documents.giay-chung-tu"),  # a required document missing
    ({"files": [TWO[0], Upload("giay-chung-tu", "x.pdf", b"<html><script>x</script></html>")]},
     "documents.giay-chung-tu"),  # fails the content check
    ({"files": [*TWO, Upload("khong-co", "x.pdf", PDF)]}, "documents.khong-co"),
    ({"data": {"so_ban_sao": "hai"}}, "so_ban_sao"),
    ({"data": {"la": 1}}, "la"),
    ({"applicant": {"name": ""}}, "applicant.name"),
    ({"applicant": {"name": "An"}}, "applicant.email"),  # no way to reach the applicant
    ({"commune": "99999"}, "commune"),
])
def test_bad_submissions_are_refused_and_nothing_is_stored(engine, docs, change, field):
    with pytest.raises(FormInvalid) as caught:
        submit(engine, docs, **change)
    assert field in caught.value.errors
    assert count(engine, Application) == 0 and count(engine, ApplicationDocument) == 0
    assert not any(p.is_file() for p in Path(docs.store.root).rglob("*"))


def test_unknown_procedure_and_too_many_or_too_large_files(engine, docs):
    with pytest.raises(NotFound):
        engine.submit_application("X.999", APPLICANT, {}, TWO, docs)
    with pytest.raises(InvalidInput):
        submit(engine, docs, files=TWO + [Upload(f"k{i}", "x.pdf", PDF) for i in range(3)])
    with pytest.raises(FormInvalid) as caught:
        submit(engine, docs, files=[TWO[0], Upload("giay-chung-tu", "big.pdf", b"%PDF-" + b"0" * 70000 + b"%%EOF")])
    assert "quá lớn" in caught.value.errors["documents.giay-chung-tu"]
    assert count(engine, Application) == 0


def test_the_desk_queue_shows_its_own_agency_only(engine, world, docs, other_clerk):
    done = submit(engine, docs)
    assert [a.reference for a in engine.applications(world["clerk"])] == [done.reference]
    assert engine.applications(other_clerk) == []
    with pytest.raises(PermissionDenied):
        engine.applications(world["officer"])
    for act in (lambda a: engine.accept_application(a, done.reference),
                lambda a: engine.refuse_application(a, done.reference, "Không đủ điều kiện"),
                lambda a: engine.request_application_supplement(a, done.reference, "Thiếu"),
                lambda a: engine.application(a, done.reference)):
        with pytest.raises(PermissionDenied):
            act(other_clerk)
    assert engine.public_application(done.reference, done.secret).status == ApplicationStatus.SUBMITTED


def test_accepting_makes_a_dossier_due_from_the_acceptance(engine, world, docs, clock: FakeClock):
    done = submit(engine, docs)
    clock.set(vn(2026, 3, 4, 9, 0))  # accepted two days after submission
    dossier = engine.accept_application(world["clerk"], done.reference)
    counter = engine.start_dossier(world["clerk"], "T.000001", APPLICANT, {"so_ban_sao": 2})
    assert dossier.received_at == clock.now and dossier.due_at == counter.due_at  # the usual rules, from now
    assert dossier.status == "received" and dossier.receiving_agency_code == "000.00.15.H12"
    attached = docs.of_dossier(world["clerk"], dossier.code)
    assert [(d.requirement_key, d.at_reception) for d in attached.documents] == [
        ("to-khai-de-nghi", True), ("giay-chung-tu", True)]
    assert attached.missing_required == []
    app = engine.public_application(done.reference, done.secret)
    assert app.status == ApplicationStatus.ACCEPTED and app.dossier_code == dossier.code and app.dossier_secret
    with engine.Session() as s:
        assert s.scalar(select(models.Dossier.channel).where(models.Dossier.code == dossier.code)) == "online"
        assert s.scalar(select(models.Dossier.channel).where(models.Dossier.code == counter.code)) == "counter"
        received = s.scalars(select(models.OutboxMessage).where(
            models.OutboxMessage.topic == "dossier.received", models.OutboxMessage.dossier_id == dossier.id)).all()
        assert len(received) == 1
    with pytest.raises(Conflict):
        engine.accept_application(world["clerk2"], done.reference)
    assert count(engine, models.Dossier) == 2


def test_received_notification_goes_to_the_applicants_email(engine, world, docs, monkeypatch):
    from engine import notifications, outbox

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(notifications.SmtpMail, "send", lambda self, to, subject, body, key: sent.append((to, body)))
    engine.settings = engine.settings.with_changes(smtp_url="smtp://127.0.0.1:25", mail_from="a@b.vn")
    notifications.install(engine)
    try:
        done = submit(engine, docs)
        dossier = engine.accept_application(world["clerk"], done.reference)
        outbox.deliver(engine.Session, engine.now(), max_attempts=3, retry_seconds=1)
    finally:
        outbox.unsubscribe(notifications.SUBSCRIBER)
    assert [to for to, _ in sent] == ["binh@example.vn"] and dossier.code in sent[0][1]


def test_supplement_request_then_resubmission_returns_to_the_queue(engine, world, docs, monkeypatch):
    from engine import notifications, outbox

    done = submit(engine, docs, files=[*TWO, Upload("quyet-dinh-thoi-huong-luong-huu", "qd.pdf", PDF)])
    app = engine.request_application_supplement(world["clerk"], done.reference, "Giấy chứng tử bị mờ",
                                                ["giay-chung-tu"])
    assert app.status == ApplicationStatus.SUPPLEMENT_REQUESTED and app.requested == ("Giấy chứng tử",)
    seen = engine.public_application(done.reference, done.secret)
    assert seen.reason == "Giấy chứng tử bị mờ" and seen.notice_id is not None
    notice = engine.desk_notice(seen.notice_id, world["clerk"])
    assert notice.kind == "supplement" and notice.reasons == ["Giấy chứng tử bị mờ"]
    assert engine.applications(world["clerk"]) == []
    with pytest.raises(Conflict):
        engine.accept_application(world["clerk"], done.reference)
    with engine.Session() as s:
        message = s.scalars(select(models.OutboxMessage).where(
            models.OutboxMessage.topic == "application.supplement_requested")).one()
        assert message.payload["reason"] == "Giấy chứng tử bị mờ"
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(notifications.SmtpMail, "send", lambda self, to, subject, body, key: sent.append((to, body)))
    engine.settings = engine.settings.with_changes(smtp_url="smtp://127.0.0.1:25", mail_from="a@b.vn")
    notifications.install(engine)
    try:
        outbox.deliver(engine.Session, engine.now(), max_attempts=3, retry_seconds=1)
    finally:
        outbox.unsubscribe(notifications.SUBSCRIBER)
    assert sent and sent[0][0] == "binh@example.vn" and "Giấy chứng tử bị mờ" in sent[0][1]
    with pytest.raises(NotFound):
        engine.resubmit_application(done.reference, "sai", [Upload("giay-chung-tu", "r.pdf", PDF)], docs)
    again = engine.resubmit_application(done.reference, done.secret, [Upload("giay-chung-tu", "ro.pdf", PDF)], docs)
    assert again.status == ApplicationStatus.SUBMITTED
    assert [a.reference for a in engine.applications(world["clerk"])] == [done.reference]
    with pytest.raises(Conflict):
        engine.resubmit_application(done.reference, done.secret, [Upload("giay-chung-tu", "r.pdf", PDF)], docs)
    dossier = engine.accept_application(world["clerk"], done.reference)
    files = {d.requirement_key: d.filename for d in docs.of_dossier(world["clerk"], dossier.code).documents}
    assert files == {"to-khai-de-nghi": "to khai.pdf", "giay-chung-tu": "ro.pdf",
                     "quyet-dinh-thoi-huong-luong-huu": "qd.pdf"}  # the newest file of each document


def test_refusal_is_final_and_notified(engine, world, docs):
    done = submit(engine, docs)
    app = engine.refuse_application(world["clerk"], done.reference, "Không thuộc thẩm quyền")
    assert app.status == ApplicationStatus.REFUSED
    assert engine.desk_notice(app.notice_id, world["clerk"]).kind == "refusal"
    for act in (lambda: engine.accept_application(world["clerk"], done.reference),
                lambda: engine.refuse_application(world["clerk"], done.reference, "lại"),
                lambda: engine.request_application_supplement(world["clerk"], done.reference, "lại")):
        with pytest.raises(Conflict):
            act()
    with pytest.raises(InvalidInput):
        engine.refuse_application(world["clerk"], submit(engine, docs).reference, "  ")
    with engine.Session() as s:
        assert s.scalar(select(func.count()).select_from(models.OutboxMessage).where(
            models.OutboxMessage.topic == "application.refused")) == 1
    assert engine.public_application(done.reference, done.secret).reason == "Không thuộc thẩm quyền"


def test_online_share_counts_online_received_of_all_received(engine, world, docs):
    for _ in range(3):
        engine.start_dossier(world["clerk"], "T.000001", APPLICANT, {"so_ban_sao": 1})
    engine.accept_application(world["clerk"], submit(engine, docs).reference)
    day = date(2026, 3, 2)
    with engine.Session() as s:
        by_agency, by_procedure = stats.digitisation(s, engine.calendar(), day, day)
    assert [(r.received, r.online, r.online_share) for r in by_agency] == [(4, 1, 25.0)]
    assert [(r.received, r.online, r.online_share) for r in by_procedure] == [(4, 1, 25.0)]

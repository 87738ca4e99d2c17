"""Documents of a dossier: content-addressed store, type by content, limits, integrity, authorization."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from engine import documents, stats
from engine.documents import DocumentCorrupted, DocumentRejected, Documents, DocumentStore, detect_type
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.runtime import Engine
from tests.conftest import DATA, World

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789"}
METADATA = {"documents": [{"name": "Tờ khai đề nghị", "originals": 1},
                          {"name": "Giấy chứng tử", "originals": 0, "copies": 1},
                          {"name": "Quyết định thôi hưởng lương hưu", "copies": 1, "required": False}]}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "WordDocument".encode("utf-16-le")


@pytest.fixture
def docs(engine: Engine, world: World, tmp_path: Path) -> Documents:
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    return Documents(engine, tmp_path / "documents", max_bytes=1024 * 1024)


def do(engine: Engine, actor, element: str, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {}, note=f"xong {element}")


@pytest.mark.parametrize(("data", "media_type"), [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (b"II*\x00rest", "image/tiff"),
    (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (ODT, "application/vnd.oasis.opendocument.text"), (DOC, "application/msword"),
])
def test_types_are_known_by_their_content(data, media_type):
    assert detect_type(data) == media_type


@pytest.mark.parametrize("data", [
    b"", b"<html><script>alert(1)</script></html>", b"%PDF-1.4\n<html><script>alert(1)</script>",
    b"GIF89a....", zipped({"evil.html": b"<html/>"}), b"PK\x03\x04broken zip",
    zipped({"mimetype": b"text/html", "index.html": b"<html/>"}),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, b"MZ\x90\x00 an executable",
])
def test_other_content_is_refused_whatever_its_name(data):
    with pytest.raises(DocumentRejected):
        detect_type(data)


def test_store_is_content_addressed_atomic_and_checked(tmp_path: Path):
    store = DocumentStore(tmp_path)
    digest = store.put(PDF)
    path = store.path(digest)
    assert path == tmp_path / digest[:2] / digest[2:4] / digest and path.read_bytes() == PDF
    assert store.put(PDF) == digest and len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    assert store.get(digest) == PDF
    path.chmod(0o640)
    path.write_bytes(PDF.replace(b"1.4", b"1.7"))
    with pytest.raises(DocumentCorrupted, match="thay đổi"):
        store.get(digest)
    store.put(PDF)  # the damaged copy is replaced by the true bytes
    assert store.get(digest) == PDF
    with pytest.raises(InvalidInput):
        store.path("../../etc/passwd")


def test_reception_scans_fill_the_checklist_and_dedup_on_disk(engine: Engine, world: World, docs: Documents):
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    before = docs.of_dossier(world["clerk"], d.code)
    assert [line.requirement.name for line in before.checklist] == [
        "Tờ khai đề nghị", "Giấy chứng tử", "Quyết định thôi hưởng lương hưu"]
    assert [r.name for r in before.missing_required] == ["Tờ khai đề nghị", "Giấy chứng tử"]
    keys = [line.requirement.key for line in before.checklist]
    first = docs.attach(world["clerk"], d.code, "../../tờ khai.pdf", PDF, requirement=keys[0])
    second = docs.attach(world["clerk"], d.code, "chung tu.html", PDF, requirement=keys[1])
    assert first.filename == "tờ khai.pdf" and second.filename == "chung tu.pdf"  # the type decides
    assert first.sha256 == second.sha256 and first.id != second.id  # one file, two attachments
    assert len([p for p in docs.store.root.rglob("*") if p.is_file()]) == 1
    assert first.at_reception and first.media_type == "application/pdf" and first.size == len(PDF)
    after = docs.of_dossier(world["clerk"], d.code)
    assert after.missing_required == [] and after.checklist[2].missing
    info, data = docs.read(world["clerk"], first.id)
    assert data == PDF and info.uploaded_by == "Clerk"
    assert any(e.action == "document.attached" for e in engine.dossier(d.code).events)
    with pytest.raises(InvalidInput):
        docs.attach(world["clerk"], d.code, "x.pdf", PDF, requirement="khong-co")
    with pytest.raises(InvalidInput):
        docs.attach(world["clerk"], d.code, "x.pdf", PDF, kind="virus")


def test_size_limit_and_disguised_html(engine: Engine, world: World, docs: Documents):
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    with pytest.raises(DocumentRejected, match="quá lớn"):
        docs.attach(world["clerk"], d.code, "big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(DocumentRejected):
        docs.attach(world["clerk"], d.code, "ket-qua.pdf", b"<!DOCTYPE html><html><body>phishing</body></html>")
    assert docs.of_dossier(world["clerk"], d.code).documents == []
    assert not any(p.is_file() for p in docs.store.root.rglob("*")) if docs.store.root.exists() else True


def test_tampered_file_is_never_served(engine: Engine, world: World, docs: Documents):
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    info = docs.attach(world["clerk"], d.code, "scan.png", PNG)
    path = docs.store.path(info.sha256)
    path.chmod(0o640)
    path.write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(DocumentCorrupted):
        docs.read(world["clerk"], info.id)
    path.unlink()
    with pytest.raises(DocumentCorrupted, match="không còn"):
        docs.read(world["clerk"], info.id)


def test_only_agencies_taking_part_read_or_attach(engine: Engine, world: World, docs: Documents):
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    info = docs.attach(world["clerk"], d.code, "scan.pdf", PDF)
    for outsider in ("officer", "police", "leader"):  # no step of theirs yet
        with pytest.raises(PermissionDenied):
            docs.read(world[outsider], info.id)
        with pytest.raises(PermissionDenied):
            docs.attach(world[outsider], d.code, "y.pdf", PDF)
        with pytest.raises(PermissionDenied):
            docs.of_dossier(world[outsider], d.code)
    do(engine, world["clerk"], "Receive")
    examine = next(s for s in engine.inbox(world["officer"]) if s.element_id == "Examine")
    assert docs.read(world["officer"], info.id)[1] == PDF  # the division now has a step
    opinion = docs.attach(world["officer"], d.code, "y kien.docx", DOCX, kind="opinion", step_id=examine.id)
    assert opinion.step_name == "Thẩm định hồ sơ" and not opinion.at_reception
    with pytest.raises(PermissionDenied):  # another agency's step
        docs.attach(world["clerk"], d.code, "z.pdf", PDF, step_id=examine.id)
    with pytest.raises(PermissionDenied):
        docs.read(world["police"], info.id)
    with pytest.raises(PermissionDenied):  # a designer handles no step
        docs.attach(world["designer"], d.code, "z.pdf", PDF)
    with pytest.raises(NotFound):
        docs.read(world["clerk"], 99999)


def test_signed_result_at_the_signing_step_reaches_the_applicant(engine: Engine, world: World, docs: Documents):
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    secret = docs.lookup_secret(world["clerk"], d.code)
    assert len(secret) == 6 and int(secret, 16) >= 0
    with pytest.raises(PermissionDenied):
        docs.lookup_secret(world["officer"], d.code)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    do(engine, world["police"], "Opinion_police")
    do(engine, world["officer2"], "Opinion_div")
    sign = next(s for s in engine.inbox(world["leader"]) if s.element_id == "Sign")
    with pytest.raises(InvalidInput):
        docs.attach(world["leader"], d.code, "qd.pdf", PDF, kind="signed_result")  # without its step
    result = docs.attach(world["leader"], d.code, "Quyết định.pdf", PDF + b"%signed", kind="signed_result",
                         step_id=sign.id)
    with pytest.raises(NotFound, match="chưa có kết quả"):
        docs.public_result(d.code, secret)  # not finished yet
    do(engine, world["leader"], "Sign", {"so_quyet_dinh": "12/QĐ-UBND"})
    do(engine, world["clerk2"], "Return")
    info, data = docs.public_result(d.code, secret.lower())
    assert info.id == result.id and data.endswith(b"%signed")
    for code, wrong in ((d.code, "000000"), (d.code, ""), ("000.00.15.H12-260302-9999", secret)):
        with pytest.raises(NotFound):
            docs.public_result(code, wrong)


def test_digitisation_share_per_agency_and_procedure(engine: Engine, world: World, docs: Documents):
    full = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    partial = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    late = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    keys = [line.requirement.key for line in docs.of_dossier(world["clerk"], full.code).checklist]
    for key in keys[:2]:
        docs.attach(world["clerk"], full.code, "a.pdf", PDF, requirement=key)
    docs.attach(world["clerk"], partial.code, "a.pdf", PDF, requirement=keys[0])
    step = next(s for s in engine.inbox(world["clerk"]) if s.dossier_code == late.code)
    engine.claim(world["clerk"], step.id)
    engine.complete(world["clerk"], step.id, {})
    for key in keys[:2]:  # scanned after the dossier left the desk: not digitised at reception
        docs.attach(world["clerk"], late.code, "a.pdf", PDF, requirement=key)
    from datetime import date

    with engine.Session() as s:
        result = stats.compute(s, engine.calendar(), date(2026, 3, 1), date(2026, 3, 31), engine.now())
    (desk,) = result.digitisation_by_agency
    assert (desk.code, desk.received, desk.with_list, desk.digitised) == ("000.00.15.H12", 3, 3, 1)
    assert desk.share == 33.3
    (proc,) = result.digitisation_by_procedure
    assert (proc.code, proc.name, proc.digitised, proc.share) == ("T.000001", "Thủ tục thử nghiệm ba cơ quan", 1, 33.3)


def test_content_disposition_is_an_attachment_with_rfc5987_name():
    header = documents.content_disposition('Quyết định "số 12".pdf')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%20%22s%E1%BB%91%2012%22.pdf" in header
    assert '"' not in header.split('filename="')[1].split('";')[0]


def test_the_receipt_prints_the_lookup_secret(engine: Engine, world: World, docs: Documents):
    from engine import paperwork

    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    secret = docs.lookup_secret(world["clerk"], d.code)
    html = paperwork.receipt_html(engine.papers(d.code), base_url="https://dvc.example", lookup_secret=secret)
    assert f"mã bí mật nhận kết quả điện tử: <b class=\"code\">{secret}</b>" in html
    assert "mã bí mật" not in paperwork.receipt_html(engine.papers(d.code), base_url="https://dvc.example")

"""Hostile documents: zip bombs and polyglots are refused by the type check, cheaply and with a clear message.

A zip bomb (a small upload whose entries unpack to a gigabyte) is judged from the archive's
directory and never unpacked: the check runs in a fresh process whose peak memory is measured.
A polyglot (a valid-looking PDF, PNG, JPEG or office zip with a web page inside or behind it) is
refused by the structure check. And the content is inspected only for a caller who may attach.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from engine.errors import PermissionDenied
from engine.filetypes import DocumentRejected, detect_type
from tests.engine.test_documents import APPLICANT, DOCX, JPEG, ODT, PDF, PNG, zipped

GIB = 1024 ** 3
CHUNK = bytes(1024 * 1024)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _zero_entry(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Write ``size`` zero bytes as one deflated entry, a megabyte at a time (never held in memory)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=False) as entry:
        for _ in range(size // len(CHUNK)):
            entry.write(CHUNK)


def _bomb(path: Path, variant: str) -> Path:
    with zipfile.ZipFile(path, "w", compresslevel=9) as archive:
        if variant == "ooxml_gib_entry":
            archive.writestr("[Content_Types].xml", b"<Types/>")
            archive.writestr("word/document.xml", b"<w:document/>")
            _zero_entry(archive, "word/media/image1.bin", GIB)
        elif variant == "odf_gib_mimetype":
            _zero_entry(archive, "mimetype", GIB)
        elif variant == "nested_bomb":
            inner = io.BytesIO()  # a bomb of its own (about 1 MB), packed again: the outer entry is tiny
            with zipfile.ZipFile(inner, "w", compresslevel=9) as z:
                _zero_entry(z, "zeros.bin", GIB)
            archive.writestr("[Content_Types].xml", b"<Types/>")
            archive.writestr("word/document.xml", b"<w:document/>")
            archive.writestr("word/embeddings/inner.zip", inner.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
        elif variant == "many_entries":
            archive.writestr("[Content_Types].xml", b"<Types/>")
            for i in range(20_000):
                archive.writestr(f"word/e{i}.xml", b"")
    return path


BOMBS = {"ooxml_gib_entry": "giải nén quá lớn", "odf_gib_mimetype": "giải nén quá lớn",
         "nested_bomb": "giải nén quá lớn", "many_entries": "quá nhiều mục"}

_CHILD = """
import json, sys, time, tracemalloc
from engine.filetypes import DocumentRejected, detect_type
data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as fh:  # the peak so far is the parent's (kept across exec): reset it
    fh.write("5")
tracemalloc.start()
started = time.monotonic()
try:
    detect_type(data)
    message = None
except DocumentRejected as exc:
    message = str(exc)
print(json.dumps({"message": message, "seconds": time.monotonic() - started,
                  "peak": tracemalloc.get_traced_memory()[1],
                  "maxrss_kb": int(next(line.split()[1] for line in open("/proc/self/status")
                                        if line.startswith("VmHWM:")))}))
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {name: _bomb(folder / f"{name}.zip", name) for name in BOMBS}


@pytest.mark.parametrize("variant", list(BOMBS))
def test_zip_bomb_is_refused_without_unpacking(bombs: dict[str, Path], variant: str):
    path = bombs[variant]
    assert path.stat().st_size < 3 * 1024 * 1024  # a small upload, under the 20 MB limit
    # A fresh interpreter, so that its peak memory is the check's; the timeout is the bound on time.
    result = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                            timeout=60, check=True)
    report = json.loads(result.stdout)
    assert report["message"] and BOMBS[variant] in report["message"], report
    assert report["peak"] < 32 * 1024 * 1024, report  # Python allocations during the check
    assert report["maxrss_kb"] < 256 * 1024, report
    assert report["seconds"] < 5, report


def test_content_is_inspected_only_for_an_official_who_may_attach(engine, world, outsiders, bombs, tmp_path):
    from engine.documents import Documents
    from tests.conftest import DATA
    from tests.engine.test_documents import METADATA

    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    docs = Documents(engine, tmp_path / "documents")
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    bomb = bombs["ooxml_gib_entry"].read_bytes()
    with pytest.raises(PermissionDenied):
        docs.attach(outsiders["out_clerk"], d.code, "bomb.docx", bomb)
    with pytest.raises(DocumentRejected, match="giải nén quá lớn"):
        docs.attach(world["clerk"], d.code, "bomb.docx", bomb)
    assert docs.of_dossier(world["clerk"], d.code).documents == []
    assert not (tmp_path / "documents").exists() or not any((tmp_path / "documents").rglob("*"))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


#: name → a file that starts like an accepted type and carries a web page.
POLYGLOTS = {
    "pdf_html_after_first_kilobyte": PDF.replace(b"trailer", b"%" + b"x" * 2000 + b"\n" + HTML + b"\ntrailer"),
    "pdf_html_after_eof": PDF + HTML,
    "pdf_without_trailer": b"%PDF-1.4\n" + b"x" * 2000 + HTML,
    "png_header_then_html": b"\x89PNG\r\n\x1a\n" + HTML,
    "png_html_after_iend": PNG + HTML,
    "png_html_in_text_chunk": PNG.replace(b"\x00\x00\x00\x00IEND", _png_chunk(b"tEXt", b"c\x00" + HTML)
                                          + b"\x00\x00\x00\x00IEND"),
    "jpeg_html_after_end": JPEG + HTML,
    "jpeg_html_in_comment": JPEG.replace(b"\xff\xd9", b"\xff\xfe" + HTML + b"\xff\xd9"),
    "zip_html_after_directory": DOCX + HTML,
    "zip_with_stored_html_entry": zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>",
                                          "word/index.html": HTML}),
    "odf_html_after_directory": ODT + HTML,
}


@pytest.mark.parametrize("name", list(POLYGLOTS))
def test_polyglots_are_refused(name: str):
    with pytest.raises(DocumentRejected) as exc:
        detect_type(POLYGLOTS[name])
    assert "không nhận" in str(exc.value)


def test_the_same_files_without_the_page_are_accepted():
    assert detect_type(PDF.replace(b"trailer", b"%" + b"x" * 2000 + b"\ntrailer")) == "application/pdf"
    assert detect_type(PNG.replace(b"\x00\x00\x00\x00IEND", _png_chunk(b"tEXt", b"c\x00hello")
                                   + b"\x00\x00\x00\x00IEND")) == "image/png"
    assert detect_type(JPEG.replace(b"\xff\xd9", b"\xff\xfehello\xff\xd9")) == "image/jpeg"
    assert detect_type(DOCX).endswith("wordprocessingml.document")
    assert detect_type(ODT) == "application/vnd.oasis.opendocument.text"

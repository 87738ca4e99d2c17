"""What an uploaded document is, judged by its content and its structure, within a fixed budget.

A file is accepted only as one of :data:`ACCEPTED`, and only when its structure holds from the
first byte to the last: a PDF ends with its ``%%EOF`` trailer, a PNG is a walk of chunks from
``IHDR`` to ``IEND``, a JPEG ends with its end-of-image marker, a zip ends with its directory
record. Nothing may follow, and no HTML marker may stand anywhere in the file: a polyglot (a PDF
or PNG with a web page inside or behind it) is refused.

Office files are zips. They are inspected without unpacking: the directory record is read first
and a zip with more than :data:`MAX_ARCHIVE_ENTRIES` entries, an entry larger than
:data:`MAX_ENTRY_BYTES`, a total above :data:`MAX_UNPACKED_BYTES` or a compression ratio above
:data:`MAX_RATIO` is refused before any entry is opened; the only entry read (ODF's
``mimetype``) is streamed and at most :data:`MAX_MIMETYPE_READ` bytes of it are read. The work
is linear in the upload's size, which the caller bounds first.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

from engine.errors import InvalidInput

#: What the service accepts, by detected content: media type → file extension.
ACCEPTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
}
#: Entries in an office zip (a large spreadsheet has a few hundred).
MAX_ARCHIVE_ENTRIES = 5000
#: Declared unpacked size of one entry, and of all entries together.
MAX_ENTRY_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Unpacked/packed size above which an entry of more than :data:`RATIO_FLOOR` bytes is a bomb.
MAX_RATIO = 100
RATIO_FLOOR = 256 * 1024
#: Bytes of ODF's ``mimetype`` entry read (the longest accepted value has 46).
MAX_MIMETYPE_READ = 256
#: How far from the end a PDF's ``%%EOF`` may stand (trailing spaces and newlines only).
PDF_TAIL = 1024

_HTML = re.compile(rb"<(?:html|!doctype\s+html|script|body|iframe|svg|object|embed)[\s>/]", re.IGNORECASE)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG = b"\x89PNG\r\n\x1a\n"
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22


class DocumentRejected(InvalidInput):
    """A file refused on upload: unknown or disguised type, empty, or too large."""


def detect_type(data: bytes) -> str:
    """The media type of ``data`` judged by its content; DocumentRejected when not an accepted type."""
    if not data:
        raise DocumentRejected("Tệp rỗng (empty file)")
    media_type = _by_structure(data)
    if _HTML.search(data) is not None:
        raise DocumentRejected("Tệp chứa mã HTML: không nhận (HTML inside a document)")
    return media_type


def _by_structure(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-PDF_TAIL:] or data[data.rindex(b"%%EOF") + 5:].strip(b" \t\r\n\x00"):
            raise DocumentRejected("Tệp PDF không kết thúc bằng %%EOF hoặc có dữ liệu lạ phía sau: không nhận "
                                   "(PDF without its trailer, or with data after it)")
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise DocumentRejected("Tệp JPEG không kết thúc đúng cấu trúc: không nhận (JPEG without its end marker)")
        return "image/jpeg"
    if data.startswith(_PNG):
        _check_png(data)
        return "image/png"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if data.startswith(_OLE):
        if "WordDocument".encode("utf-16-le") in data:
            return "application/msword"
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "application/vnd.ms-excel"
        raise DocumentRejected("Tệp Office cũ không phải Word hay Excel")
    raise DocumentRejected("Loại tệp không được nhận; chỉ nhận PDF, JPEG, PNG, TIFF, Word, Excel, ODF")


def _check_png(data: bytes) -> None:
    """Walk the chunks: IHDR first, each chunk whole, IEND last and at the very end of the file."""
    refused = DocumentRejected("Tệp PNG sai cấu trúc hoặc có dữ liệu lạ phía sau: không nhận "
                               "(PNG chunks do not end with IEND at the end of the file)")
    offset, first = len(_PNG), True
    while offset + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        if not kind.isalpha() or (first and kind != b"IHDR"):
            raise refused
        offset += 12 + length
        first = False
        if kind == b"IEND":
            if offset != len(data) or length != 0:
                raise refused
            return
    raise refused


def _office_zip(data: bytes) -> str:
    """A zip is accepted only as an office document: ODF (``mimetype``) or OOXML (``[Content_Types].xml``)."""
    _check_directory(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_sizes(infos)
            names = {info.filename for info in infos}
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    declared = entry.read(MAX_MIMETYPE_READ)[:100].decode("ascii", "replace").strip()
                if declared in ACCEPTED:
                    return declared
                raise DocumentRejected("Tệp ODF không phải văn bản hay bảng tính")
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if any(n.startswith("xl/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise DocumentRejected("Tệp nén hỏng hoặc không đọc được") from exc
    raise DocumentRejected("Tệp nén không phải văn bản Office: không nhận")


def _check_directory(data: bytes) -> None:
    """The end-of-directory record closes the file exactly and counts few enough entries (no zip64)."""
    at = data.rfind(_EOCD, max(0, len(data) - _EOCD_SIZE - 0xFFFF))
    if at < 0 or at + _EOCD_SIZE > len(data):
        raise DocumentRejected("Tệp nén hỏng hoặc không đọc được")
    entries, comment = struct.unpack_from("<H", data, at + 10)[0], struct.unpack_from("<H", data, at + 20)[0]
    if at + _EOCD_SIZE + comment != len(data):
        raise DocumentRejected("Tệp nén có dữ liệu lạ phía sau: không nhận (data after the zip directory)")
    if entries == 0xFFFF or entries > MAX_ARCHIVE_ENTRIES:
        raise DocumentRejected(f"Tệp nén có quá nhiều mục, tối đa {MAX_ARCHIVE_ENTRIES} "
                               f"(too many entries in the archive)")


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        ratio_bomb = info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        if info.file_size > MAX_ENTRY_BYTES or total > MAX_UNPACKED_BYTES or ratio_bomb:
            raise DocumentRejected(
                f"Tệp nén khi giải nén quá lớn (mục «{info.filename[:80]}»): tối đa "
                f"{MAX_ENTRY_BYTES // (1024 * 1024)} MB một mục, {MAX_UNPACKED_BYTES // (1024 * 1024)} MB tất cả, "
                f"nén không quá {MAX_RATIO} lần (archive expands too much)")

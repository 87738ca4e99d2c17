"""Documents of a dossier: files kept outside the database by their SHA-256, metadata in it.

The store (``DocumentStore``) writes each file once under ``ab/cd/<sha256>`` of its folder, via a
temporary file renamed into place, and checks the hash again on every read: a file whose content
no longer matches raises ``DocumentCorrupted`` and is never served. ``Documents`` is the service
the UI and API call: it checks the file's type by its content (never by its name), the size limit
and who may attach or read (officials whose agency takes part in the dossier; admins read), and
records one metadata row and one ``document.attached`` event per attachment. Attaching the same
bytes twice keeps one file on disk and two rows: each attachment is its own fact (who, when, for
which step or required document).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, models, queries
from engine.accounts import Actor
from engine.authorization import Write, authorize_write, takes_part
from engine.errors import InvalidInput, LienThongError, NotFound, PermissionDenied
from engine.filetypes import ACCEPTED, DocumentRejected, detect_type

if TYPE_CHECKING:
    from engine.runtime import Engine
from engine.applicants import search_key
from engine.events import record
from engine.statuses import DossierStatus

KINDS = ("scan", "opinion", "minutes", "draft", "signed_result", "other")
KIND_LABELS = {"scan": "Bản quét giấy tờ", "opinion": "Ý kiến", "minutes": "Biên bản", "draft": "Dự thảo",
               "signed_result": "Kết quả đã ký", "other": "Khác"}
MAX_FILENAME = 255
#: Step kinds at which the signed result may be attached (the signing step, or the desk returning it).
RESULT_STEP_KINDS = ("sign", "return", "")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DocumentCorrupted(LienThongError):
    """A stored file no longer matches its SHA-256 (altered or damaged on disk): never served."""




def safe_filename(name: str, media_type: str) -> str:
    """The uploaded name without folders or control characters, its extension from the detected type."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ext = ACCEPTED.get(media_type, "bin")
    stem = stem[: MAX_FILENAME - len(ext) - 1] or "tep"
    return f"{stem}.{ext}"


# --------------------------------------------------------------------------- the store


class DocumentStore:
    """Files by SHA-256 under one folder: ``ab/cd/<sha256>``, written atomically, checked on read."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise InvalidInput("Mã băm SHA-256 không hợp lệ")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: same bytes, same file) and return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists() and self._intact(target, digest):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        """The stored bytes, after checking they still hash to ``sha256``."""
        target = self.path(sha256)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise DocumentCorrupted(f"Tệp {sha256[:12]}… không còn trong kho lưu trữ") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentCorrupted(
                f"Tệp {sha256[:12]}… đã bị thay đổi trong kho lưu trữ")
        return data

    @staticmethod
    def _intact(path: Path, digest: str) -> bool:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest() == digest


# --------------------------------------------------------------------------- required documents


@dataclass(frozen=True)
class Requirement:
    """One document the procedure asks for (from its metadata), with a stable key."""

    key: str
    name: str
    required: bool = True


def requirements(metadata: Mapping[str, Any]) -> list[Requirement]:
    """The procedure's document list (metadata ``documents``), whatever shape the entries take."""
    raw = metadata.get("documents") or metadata.get("required_documents") or []
    out: list[Requirement] = []
    seen: set[str] = set()
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            continue
        name = " ".join(str(item.get("name", "")).split())
        if not name:
            continue
        key = re.sub(r"[^a-z0-9]+", "-", search_key(name)).strip("-")[:56] or "giay-to"
        base, n = key, 2
        while key in seen:
            key, n = f"{base}-{n}", n + 1
        seen.add(key)
        out.append(Requirement(key, name[:500], item.get("required", True) is not False))
    return out


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    dossier_code: str
    step_id: int | None
    step_name: str
    kind: str
    requirement_key: str
    requirement_name: str
    filename: str
    size: int
    media_type: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    at_reception: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class ChecklistLine:
    """A required document of the dossier's procedure and the scans attached for it (none: missing)."""

    requirement: Requirement
    documents: tuple[DocumentInfo, ...]

    @property
    def missing(self) -> bool:
        return not self.documents


@dataclass(frozen=True)
class DossierDocuments:
    code: str
    documents: list[DocumentInfo]
    checklist: list[ChecklistLine]
    may_attach: bool

    @property
    def missing_required(self) -> list[Requirement]:
        return [line.requirement for line in self.checklist if line.missing and line.requirement.required]


# --------------------------------------------------------------------------- the service


class Documents:
    """Attach, list and read the documents of dossiers (one instance per process, like the engine)."""

    def __init__(self, engine: Engine, store: DocumentStore | str | Path | None = None, *,
                 max_bytes: int | None = None) -> None:
        self.engine = engine
        self.store = store if isinstance(store, DocumentStore) else DocumentStore(store or engine.settings.document_dir)
        self.max_bytes = max_bytes or engine.settings.max_document_bytes

    # ----------------------------------------------------------------- checks

    def check_size(self, data: bytes) -> None:
        """The cheap check, made before anything else: DocumentRejected above the size limit."""
        if len(data) > self.max_bytes:
            raise DocumentRejected(f"Tệp quá lớn: tối đa {self.max_bytes // (1024 * 1024)} MB")

    def check(self, data: bytes) -> str:
        """The detected media type of an upload, or DocumentRejected (size, then content)."""
        self.check_size(data)
        return detect_type(data)

    @staticmethod
    def _dossier(session: Session, code: str) -> models.Dossier:
        row = session.scalar(select(models.Dossier).where(models.Dossier.code == code))
        if row is None:
            raise NotFound(f"Không có hồ sơ {code!r}")
        return row

    @staticmethod
    def _requirements(session: Session, dossier: models.Dossier) -> list[Requirement]:
        version = session.get(models.DefinitionVersion, dossier.definition_id)
        return requirements(dict(version.metadata_json or {})) if version is not None else []

    # ----------------------------------------------------------------- writes

    def attach(self, actor: Actor, code: str, filename: str, data: bytes, *, kind: str = "scan",
               step_id: int | None = None, requirement: str = "") -> DocumentInfo:
        """Attach a file to a dossier the official's agency takes part in; returns its metadata."""
        if kind not in KINDS:
            raise InvalidInput(f"Loại giấy tờ không hợp lệ: {kind!r}; dùng {', '.join(KINDS)}")
        self.check_size(data)
        with self.engine.Session() as session:  # refuse early, before looking at the file or writing it
            dossier = self._dossier(session, code)
            authorize_write(session, actor, Write.ATTACH, dossier=dossier)
        media_type = detect_type(data)  # the content is inspected only for a caller who may attach
        digest = self.store.put(data)  # content-addressed: a file left by a failed transaction is harmless
        now = self.engine.now()
        with self.engine.transaction() as session:
            locked = self.engine.lock_dossier(session, dossier.id)  # as it is now, not as read above
            step = self._step(session, actor, dossier, step_id, kind)
            req = self._requirement(session, dossier, requirement)
            at_reception = (kind == "scan" and locked.status == DossierStatus.RECEIVED
                            and dossier.receiving_agency_id == actor.agency_id)
            row = models.Document(
                dossier_id=dossier.id, step_id=step.id if step else None, kind=kind,
                requirement_key=req.key if req else "", requirement_name=req.name if req else "",
                filename=safe_filename(filename, media_type), size=len(data), media_type=media_type,
                sha256=digest, uploaded_by=actor.id, uploaded_at=now, at_reception=at_reception)
            session.add(row)
            session.flush()
            record(session, "document.attached", now, dossier_id=dossier.id, step_id=row.step_id,
                   actor_id=actor.id, details={"document": row.id, "kind": kind, "filename": row.filename,
                                               "requirement": row.requirement_name, "sha256": digest})
            return self._info(session, row)

    @staticmethod
    def _step(session: Session, actor: Actor, dossier: models.Dossier, step_id: int | None,
              kind: str) -> models.Step | None:
        if step_id is None:
            if kind == "signed_result":
                raise InvalidInput("Kết quả đã ký phải đính kèm tại bước ký (hoặc trả kết quả)")
            return None
        step = session.get(models.Step, step_id)
        if step is None or step.dossier_id != dossier.id:
            raise NotFound(f"Hồ sơ không có bước {step_id}")
        if step.agency_id != actor.agency_id:
            raise PermissionDenied("Bước này thuộc cơ quan khác")
        if kind == "signed_result" and step.step_kind not in RESULT_STEP_KINDS:
            raise InvalidInput("Kết quả đã ký chỉ đính kèm tại bước ký hoặc trả kết quả")
        return step

    def _requirement(self, session: Session, dossier: models.Dossier, key: str) -> Requirement | None:
        if not key:
            return None
        found = next((r for r in self._requirements(session, dossier) if r.key == key), None)
        if found is None:
            raise InvalidInput(f"Thủ tục không có giấy tờ {key!r}")
        return found

    # ----------------------------------------------------------------- reads

    def of_dossier(self, actor: Actor, code: str) -> DossierDocuments:
        """A dossier's documents and its checklist of required ones (what is missing shows)."""
        with self.engine.Session() as session:
            dossier = self._dossier(session, code)
            if not queries.can_view(session, actor, dossier.id):
                raise PermissionDenied("Cơ quan của bạn không tham gia hồ sơ này")
            rows = session.scalars(select(models.Document).where(models.Document.dossier_id == dossier.id)
                                   .order_by(models.Document.id)).all()
            infos = self._infos(session, rows, dossier.code)
            checklist = [ChecklistLine(r, tuple(d for d in infos if d.requirement_key == r.key))
                         for r in self._requirements(session, dossier)]
            may_attach = actor.has(*accounts.HANDLING_ROLES) and takes_part(session, actor, dossier)
            return DossierDocuments(dossier.code, infos, checklist, may_attach)

    def read(self, actor: Actor, document_id: int) -> tuple[DocumentInfo, bytes]:
        """A document and its bytes, for officials of agencies taking part (and admins)."""
        with self.engine.Session() as session:
            row = session.get(models.Document, document_id)
            if row is None:
                raise NotFound(f"Không có tài liệu {document_id}")
            if not queries.can_view(session, actor, row.dossier_id):
                raise PermissionDenied("Cơ quan của bạn không tham gia hồ sơ này")
            info = self._info(session, row)
        return info, self.store.get(info.sha256)

    def public_result(self, code: str, secret: str) -> tuple[DocumentInfo, bytes]:
        """The signed result of a finished dossier, for whoever holds its code and receipt secret."""
        import hmac

        with self.engine.Session() as session:
            dossier = session.scalar(select(models.Dossier).where(models.Dossier.code == code.strip()))
            given = secret.strip().upper()
            if dossier is None or not dossier.lookup_secret or not hmac.compare_digest(
                    given.encode(), dossier.lookup_secret.upper().encode()):
                raise NotFound("Mã hồ sơ hoặc mã bí mật không đúng")
            if dossier.finished_at is None:
                raise NotFound("Hồ sơ chưa có kết quả")
            row = session.scalar(select(models.Document).where(
                models.Document.dossier_id == dossier.id, models.Document.kind == "signed_result")
                .order_by(models.Document.id.desc()).limit(1))
            if row is None:
                raise NotFound("Hồ sơ chưa có bản điện tử của kết quả")
            info = self._info(session, row)
        return info, self.store.get(info.sha256)

    def lookup_secret(self, actor: Actor, code: str) -> str:
        """The receipt's second factor, for the desk that received the dossier (and admins)."""
        with self.engine.Session() as session:
            dossier = self._dossier(session, code)
            if dossier.receiving_agency_id != actor.agency_id and not actor.has("admin"):
                raise PermissionDenied("Chỉ bộ phận đã tiếp nhận hồ sơ xem được mã bí mật")
            return dossier.lookup_secret

    def _info(self, session: Session, row: models.Document) -> DocumentInfo:
        code = session.scalar(select(models.Dossier.code).where(models.Dossier.id == row.dossier_id)) or ""
        return self._infos(session, [row], code)[0]

    @staticmethod
    def _infos(session: Session, rows: Sequence[models.Document], code: str) -> list[DocumentInfo]:
        if not rows:
            return []
        users = dict(session.execute(select(models.Official.id, models.Official.full_name).where(
            models.Official.id.in_({r.uploaded_by for r in rows}))).all())
        step_ids = {r.step_id for r in rows if r.step_id is not None}
        steps: dict[int, str] = {}
        if step_ids:
            steps = dict(session.execute(select(models.Step.id, models.Step.name)
                                         .where(models.Step.id.in_(step_ids))).all())
        return [DocumentInfo(r.id, code, r.step_id, steps.get(r.step_id, "") if r.step_id else "", r.kind,
                             r.requirement_key, r.requirement_name, r.filename, r.size, r.media_type, r.sha256,
                             users.get(r.uploaded_by, ""), r.uploaded_at, r.at_reception) for r in rows]


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the RFC 5987 ``filename*`` for the real (Vietnamese) name."""
    from urllib.parse import quote

    fallback = search_key(filename).replace(" ", "_")
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in fallback) or "tep"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"

"""Filling guides (hướng dẫn kê khai, plan task 2): each form a procedure asks citizens to fill (tờ khai,
đơn) as data beside the procedure, ``workflows/guides/<procedure code>.toml``, and from it a blank PDF
and a filled-in sample PDF (WeasyPrint, as the printed forms of engine.paperwork).

A guide file::

    procedure = "1.001731"
    [[forms]]
    id = "mau_04"                  # an id of the procedure metadata's [[forms]]
    title = "Tờ khai đề nghị hỗ trợ chi phí mai táng"
    source = "Mẫu số 04 ban hành kèm theo Nghị định số 20/2021/NĐ-CP"
    unconfirmed = true             # the official template is not checked: its source is never shown
    [[forms.fields]]
    id = "ho_ten_nguoi_mat"        # a start-form field, applicant.<name|id_number|phone|email|address>,
    label = "Họ và tên người đã mất"  # or paper.<slug>: a line of the paper form not asked online
    guide = "Ghi đúng họ, chữ đệm và tên như trên giấy chứng tử."
    sample = "Trần Văn B"

A field id outside those three sets is refused (``check``), so a guide cannot drift from the
diagram's start form unnoticed. ``guide_for`` gives the online application each field's guide.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.errors import InvalidInput, NotFound
from engine.forms import APPLICANT_FIELDS

if TYPE_CHECKING:
    from engine.runtime import Engine

__all__ = ["GUIDES_DIR", "FormGuide", "GuideField", "ProcedureGuides", "check", "form_html", "form_pdf",
           "guide_for", "guides_of", "load", "published_guides"]

GUIDES_DIR = Path(__file__).resolve().parent.parent / "workflows" / "guides"
TEMPLATES = Path(__file__).with_name("templates") / "guides"
APPLICANT_IDS = frozenset(f"applicant.{spec.id}" for spec in APPLICANT_FIELDS)
PAPER = re.compile(r"paper\.[a-z0-9_]{1,60}")
SAFE_CODE = re.compile(r"[A-Za-z0-9._-]{1,64}")
LIMITS = {"id": 80, "label": 200, "guide": 1000, "sample": 300, "title": 300, "source": 300}
MAX_FIELDS = 60
MAX_FORMS = 10
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class GuideField:
    id: str
    label: str
    guide: str
    sample: str


@dataclass(frozen=True)
class FormGuide:
    id: str
    title: str
    source: str
    unconfirmed: bool
    fields: tuple[GuideField, ...]


@dataclass(frozen=True)
class ProcedureGuides:
    procedure: str
    forms: tuple[FormGuide, ...]

    def form(self, form_id: str) -> FormGuide:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise NotFound(f"Thủ tục {self.procedure} không có mẫu {form_id[:40]!r}")


def _string(raw: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > LIMITS[key]:
        raise InvalidInput(f"{where}: {key} phải là chuỗi{' không rỗng' if required else ''}, "
                           f"tối đa {LIMITS[key]} ký tự")
    return " ".join(value.split())


def parse(text: str, where: str = "guide") -> ProcedureGuides:
    """A guide file's content, checked for shape (InvalidInput names the place)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{where}: TOML không hợp lệ: {exc}") from None
    procedure = raw.get("procedure")
    forms = raw.get("forms")
    if not isinstance(procedure, str) or not SAFE_CODE.fullmatch(procedure):
        raise InvalidInput(f"{where}: procedure phải là mã thủ tục")
    if not isinstance(forms, list) or not 1 <= len(forms) <= MAX_FORMS:
        raise InvalidInput(f"{where}: cần từ 1 đến {MAX_FORMS} [[forms]]")
    out = []
    for i, form in enumerate(forms):
        at = f"{where}: forms[{i}]"
        if not isinstance(form, dict) or not isinstance(form.get("fields"), list):
            raise InvalidInput(f"{at}: thiếu [[forms.fields]]")
        if not 1 <= len(form["fields"]) <= MAX_FIELDS:
            raise InvalidInput(f"{at}: từ 1 đến {MAX_FIELDS} trường")
        fields = []
        for j, field in enumerate(form["fields"]):
            fat = f"{at}.fields[{j}]"
            if not isinstance(field, dict) or set(field) - {"id", "label", "guide", "sample"}:
                raise InvalidInput(f"{fat}: chỉ có id, label, guide, sample")
            fields.append(GuideField(*(_string(field, k, fat) for k in ("id", "label", "guide", "sample"))))
        ids = [f.id for f in fields]
        if len(set(ids)) != len(ids):
            raise InvalidInput(f"{at}: mã trường trùng nhau")
        if not isinstance(form.get("unconfirmed", False), bool):
            raise InvalidInput(f"{at}: unconfirmed là true hoặc false")
        out.append(FormGuide(_string(form, "id", at), _string(form, "title", at), _string(form, "source", at, False),
                             bool(form.get("unconfirmed", False)), tuple(fields)))
    if len({f.id for f in out}) != len(out):
        raise InvalidInput(f"{where}: mã mẫu trùng nhau")
    return ProcedureGuides(procedure, tuple(out))


def check(guides: ProcedureGuides, start_field_ids: set[str] | frozenset[str]) -> None:
    """Refuse a guide field whose id is neither a start-form field, an applicant field nor paper.<slug>."""
    unknown = sorted(f"{form.id}.{field.id}" for form in guides.forms for field in form.fields
                     if field.id not in start_field_ids and field.id not in APPLICANT_IDS
                     and not PAPER.fullmatch(field.id))
    if unknown:
        raise InvalidInput(f"Hướng dẫn kê khai của {guides.procedure}: trường không có trong biểu mẫu: "
                           + ", ".join(unknown[:10]))


def load(path: Path) -> ProcedureGuides:
    return parse(path.read_text(encoding="utf-8"), str(path.name))


@lru_cache(maxsize=64)
def _cached(path: Path, mtime: float) -> ProcedureGuides:
    return load(path)


def guides_of(procedure_code: str, directory: Path = GUIDES_DIR) -> ProcedureGuides | None:
    """The guides kept beside a procedure (None when it has none)."""
    if not SAFE_CODE.fullmatch(procedure_code) or procedure_code.startswith("."):
        return None
    path = directory / f"{procedure_code}.toml"
    if not path.is_file():
        return None
    return _cached(path, path.stat().st_mtime)


def _start_ids(engine: Engine, procedure_code: str) -> frozenset[str]:
    summary = engine.procedure(procedure_code)
    return frozenset(f.id for f in engine.definition(summary.definition_id).start_fields)


def guide_for(engine: Engine, procedure_code: str) -> dict[str, str]:
    """Each field of the procedure's online application (its start form, and ``applicant.<field>``) with
    the guide text to show beside it; fields without a guide are left out."""
    guides = guides_of(procedure_code)
    if guides is None:
        return {}
    known = _start_ids(engine, procedure_code) | APPLICANT_IDS
    out: dict[str, str] = {}
    for form in guides.forms:
        for field in form.fields:
            if field.id in known and field.id not in out:
                out[field.id] = field.guide
    return out


def published_guides(engine: Engine) -> list[tuple[Any, ProcedureGuides]]:
    """(procedure summary, guides) of every published citizens' procedure that has guides, by code."""
    out = []
    for summary in engine.procedures():
        if summary.metadata.get("level") == "internal":
            continue
        guides = guides_of(summary.code)
        if guides is not None:
            out.append((summary, guides))
    return out


def form_html(form: FormGuide, procedure_name: str, *, filled: bool) -> str:
    """The form as a printable A4 page: blank (a dotted line per field) or filled with the samples and guides."""
    return _env.get_template("form.html").render(form=form, procedure_name=procedure_name, filled=filled)


def form_pdf(form: FormGuide, procedure_name: str, *, filled: bool) -> bytes:
    from engine.paperwork import render_pdf

    return render_pdf(form_html(form, procedure_name, filled=filled))

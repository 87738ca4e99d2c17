"""Procedure metadata and the agency registry: load the TOML files in workflows/ and check them.

Layout of a workflows directory (see docs/modelling.md):

    workflows/agencies.toml        the agency registry (engine/schemas/agencies.schema.json)
    workflows/<name>.bpmn          one procedure's diagram (the source the engine runs)
    workflows/<name>.toml          its metadata (engine/schemas/procedure.schema.json)

Loaders raise DefinitionError; the ``check_*`` functions return readable lines instead, one per
problem, so a command line or a test can print them all at once.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.bpmn_model import Process, read_bpmn
from engine.errors import DefinitionError, LienThongError
from engine.problems import error

AGENCY_FILE = "agencies.toml"
PROCEDURE_SCHEMA = "procedure.schema.json"
AGENCY_SCHEMA = "agencies.schema.json"


@dataclass(frozen=True)
class FeedbackOfficial:
    """An official who receives citizens' feedback and petitions (PAKN) for an agency."""

    name: str
    title: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class AgencyRecord:
    """One agency of the registry; a lane binds to it by code or name."""

    code: str
    name: str
    level: str
    address: str
    phone: str
    email: str
    parent: str | None = None
    short_name: str = ""
    unit_code: str = ""
    demo_roles: tuple[str, ...] = ()
    feedback_officials: tuple[FeedbackOfficial, ...] = ()
    notes: tuple[str, ...] = ()
    #: Its agency kind and the administrative unit it serves (lanes bound to kinds, engine.lanes).
    kind: str = ""
    unit: str = ""


@dataclass(frozen=True)
class KindRecord:
    """An agency kind of the registry; a lane naming it resolves per dossier."""

    code: str
    name: str
    level: str
    public_name: str = ""


@dataclass(frozen=True)
class ReductionDecision:
    """The provincial decision that cut a procedure's time limit (plan task 5.1)."""

    number: str
    date: dt.date
    issuer: str
    note: str = ""


@dataclass(frozen=True)
class Fee:
    """Fee or charge (phí, lệ phí) of a procedure."""

    amount_vnd: int
    text: str


@dataclass(frozen=True)
class RequiredDocument:
    """One document of the dossier (thành phần hồ sơ) with its counts."""

    name: str
    originals: int
    copies: int
    form: str = ""
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class FormGuide:
    """A form of the procedure with its filling guide (hướng dẫn kê khai)."""

    id: str
    name: str
    ref: str
    guide: tuple[str, ...]
    file: str = ""


@dataclass(frozen=True)
class ProcedureInfo:
    """Published information of one procedure, read from workflows/<name>.toml."""

    code: str
    name_vi: str
    name_en: str
    field: str
    process_id: str
    legal_basis: tuple[str, ...]
    legal_working_days: Decimal
    fee: Fee
    documents: tuple[RequiredDocument, ...]
    result: str
    forms: tuple[FormGuide, ...]
    lead_agency: str
    responsible_agencies: tuple[str, ...]
    reduced_working_days: Decimal | None = None
    reduction_decision: ReductionDecision | None = None
    level: str = ""
    applicants: str = ""
    submission: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def working_days(self) -> Decimal:
        """The limit in force: the reduced one when the province cut it, else the legal one."""
        return self.reduced_working_days if self.reduced_working_days is not None else self.legal_working_days


# --------------------------------------------------------------------------- reading


@cache
def _validator(name: str) -> Draft202012Validator:
    text = resources.files("engine").joinpath("schemas", name).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _jsonable(value: Any) -> Any:
    """TOML dates and times become ISO strings, so the JSON schema can check them."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        with path.open("rb") as fh:
            return _jsonable(tomllib.load(fh)), []
    except OSError as exc:
        return None, [f"{path}: không đọc được tệp ({exc.strerror})"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{path}: TOML không hợp lệ: {exc}"]


def _schema_errors(path: Path, data: Mapping[str, Any], schema: str) -> list[str]:
    lines = []
    for err in sorted(_validator(schema).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in err.absolute_path) or "(gốc)"
        lines.append(f"{path}: {where}: {err.message}")
    return lines


def _raise(lines: Sequence[str]) -> None:
    if lines:
        raise DefinitionError([error(line) for line in lines])


def _load(path: Path) -> dict[str, Any]:
    data, lines = _read_toml(path)
    if data is None:
        raise DefinitionError([error(line) for line in lines])
    return data


def _days(value: Any) -> Decimal:
    return Decimal(str(value))


def _agency(raw: Mapping[str, Any]) -> AgencyRecord:
    return AgencyRecord(
        code=raw["code"], name=raw["name"], level=raw["level"], address=raw["address"],
        phone=raw["phone"], email=raw["email"], parent=raw.get("parent"),
        short_name=raw.get("short_name", ""), unit_code=raw.get("unit_code", ""),
        demo_roles=tuple(raw.get("demo_roles", ())),
        feedback_officials=tuple(FeedbackOfficial(o["name"], o["title"], o["phone"], o.get("email", ""))
                                 for o in raw.get("feedback_officials", ())),
        notes=tuple(raw.get("notes", ())), kind=raw.get("kind", ""), unit=raw.get("unit", ""),
    )


def _registry_errors(path: Path, data: Mapping[str, Any]) -> list[str]:
    lines = _schema_errors(path, data, AGENCY_SCHEMA)
    if lines:
        return lines
    agencies = data["agencies"]
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    for a in agencies:
        code, name = a["code"], normalise_name(a["name"])
        if code.lower() in seen_codes:
            lines.append(f"{path}: mã cơ quan trùng (duplicate code): {code}")
        if name in seen_names:
            lines.append(f"{path}: tên cơ quan trùng (duplicate name): {a['name']}")
        seen_codes.add(code.lower())
        seen_names.add(name)
    kinds = {k["code"]: k for k in data.get("kinds", ())}
    for k in data.get("kinds", ()):
        for text in (k["code"], k["name"]):
            if normalise_name(text) in seen_names | seen_codes:
                lines.append(f"{path}: loại cơ quan {k['code']}: «{text}» trùng tên hoặc mã một cơ quan")
    for a in agencies:
        if a.get("kind") and a["kind"] not in kinds:
            lines.append(f"{path}: {a['code']}: loại cơ quan không có trong danh mục (unknown kind): {a['kind']}")
        if a.get("kind") and not a.get("unit"):
            lines.append(f"{path}: {a['code']}: cơ quan có loại cần đơn vị hành chính (unit)")
    parents = {a["code"]: a.get("parent") for a in agencies}
    for code, parent in parents.items():
        if parent is not None and parent not in parents:
            lines.append(f"{path}: {code}: cơ quan cấp trên không có trong danh mục (unknown parent): {parent}")
    for code in parents:
        chain, cur = {code}, parents[code]
        while cur is not None and cur in parents:
            if cur in chain:
                lines.append(f"{path}: {code}: quan hệ cấp trên lặp vòng")
                break
            chain.add(cur)
            cur = parents[cur]
    return lines


def load_kinds(path: str | Path) -> list[KindRecord]:
    """The agency kinds of workflows/agencies.toml (checked with the rest of the registry)."""
    path = Path(path)
    data = _load(path)
    _raise(_registry_errors(path, data))
    return [KindRecord(k["code"], k["name"], k["level"], k.get("public_name", "")) for k in data.get("kinds", ())]


def units_file(path: str | Path) -> Path | None:
    """The administrative units CSV the registry names (``units_file``), beside it."""
    path = Path(path)
    name = _load(path).get("units_file")
    return path.parent / name if name else None


def contacts_confirmed(path: str | Path) -> bool:
    """False when the registry says its agencies' contact details are sample data (``contacts_confirmed``)."""
    return bool(_load(Path(path)).get("contacts_confirmed", True))


def load_agency_registry(path: str | Path) -> list[AgencyRecord]:
    """Read and check workflows/agencies.toml; raise DefinitionError listing every problem."""
    path = Path(path)
    data = _load(path)
    _raise(_registry_errors(path, data))
    return [_agency(a) for a in data["agencies"]]


def _procedure(path: Path, raw: Mapping[str, Any]) -> ProcedureInfo:
    rd = raw.get("reduction_decision")
    return ProcedureInfo(
        code=raw["code"], name_vi=raw["name_vi"], name_en=raw["name_en"], field=raw["field"],
        process_id=raw["process_id"], legal_basis=tuple(raw["legal_basis"]),
        legal_working_days=_days(raw["legal_working_days"]),
        reduced_working_days=_days(raw["reduced_working_days"]) if "reduced_working_days" in raw else None,
        reduction_decision=ReductionDecision(rd["number"], dt.date.fromisoformat(rd["date"]), rd["issuer"],
                                             rd.get("note", "")) if rd else None,
        fee=Fee(raw["fee"]["amount_vnd"], raw["fee"]["text"]),
        documents=tuple(RequiredDocument(d["name"], d["originals"], d["copies"], d.get("form", ""),
                                         d.get("required", True), d.get("note", "")) for d in raw["documents"]),
        result=raw["result"],
        forms=tuple(FormGuide(f["id"], f["name"], f["ref"], tuple(f["guide"]), f.get("file", ""))
                    for f in raw["forms"]),
        lead_agency=raw["lead_agency"], responsible_agencies=tuple(raw["responsible_agencies"]),
        level=raw.get("level", ""), applicants=raw.get("applicants", ""),
        submission=tuple(raw.get("submission", ())), notes=tuple(raw.get("notes", ())), path=path,
    )


def _procedure_errors(path: Path, data: Mapping[str, Any]) -> list[str]:
    lines = _schema_errors(path, data, PROCEDURE_SCHEMA)
    if lines:
        return lines
    try:
        dt.date.fromisoformat(data.get("reduction_decision", {}).get("date", "2000-01-01"))
    except ValueError:
        lines.append(f"{path}: reduction_decision/date: ngày không hợp lệ")
    if "reduced_working_days" in data and data["reduced_working_days"] >= data["legal_working_days"]:
        lines.append(f"{path}: reduced_working_days phải nhỏ hơn legal_working_days")
    form_ids = [f["id"] for f in data["forms"]]
    for dup in sorted({i for i in form_ids if form_ids.count(i) > 1}):
        lines.append(f"{path}: forms: mã biểu mẫu trùng (duplicate form id): {dup}")
    for i, doc in enumerate(data["documents"]):
        if doc.get("form") and doc["form"] not in form_ids:
            lines.append(f"{path}: documents/{i}/form: không có biểu mẫu '{doc['form']}' trong forms")
        if doc["originals"] + doc["copies"] == 0:
            lines.append(f"{path}: documents/{i}: cần ít nhất một bản chính hoặc bản sao")
    if data["lead_agency"] not in data["responsible_agencies"]:
        lines.append(f"{path}: lead_agency phải nằm trong responsible_agencies")
    return lines


def load_procedure_info(path: str | Path) -> ProcedureInfo:
    """Read and check one procedure's metadata file; raise DefinitionError listing every problem."""
    path = Path(path)
    data = _load(path)
    _raise(_procedure_errors(path, data))
    return _procedure(path, data)


# --------------------------------------------------------------------------- checking


def normalise_name(name: str) -> str:
    """Agency and lane names compare case- and whitespace-insensitively."""
    return " ".join(name.split()).casefold()


def check_metadata(path: str | Path) -> list[str]:
    """Problems of one metadata file (agency registry or procedure), one readable line each.

    For a procedure file whose diagram lies beside it, the code, process id and limits are also
    compared with the diagram's process properties.
    """
    path = Path(path)
    data, lines = _read_toml(path)
    if data is None:
        return lines
    if path.name == AGENCY_FILE:
        return _registry_errors(path, data)
    lines = _procedure_errors(path, data)
    bpmn = path.with_suffix(".bpmn")
    if not lines and bpmn.exists():
        lines += check_against_diagram(_procedure(path, data), bpmn)
    return lines


def _diagram_process(bpmn_path: Path, process_id: str | None = None) -> Process:
    doc = read_bpmn(bpmn_path.read_bytes())
    for p in doc.processes:
        if p.id == process_id:
            return p
    executable = [p for p in doc.processes if p.executable]
    if len(executable) != 1:
        raise DefinitionError([error(f"{bpmn_path}: cần đúng một process isExecutable=\"true\" ")])
    return executable[0]


def check_against_diagram(info: ProcedureInfo, bpmn_path: str | Path) -> list[str]:
    """Lines where the metadata disagrees with the diagram's process id, code or time limits."""
    bpmn_path = Path(bpmn_path)
    try:
        process = _diagram_process(bpmn_path, info.process_id)
    except (LienThongError, OSError) as exc:
        return [f"{bpmn_path}: không đọc được sơ đồ: {exc}"]
    where = info.path or bpmn_path
    lines = []
    if process.id != info.process_id:
        lines.append(f"{where}: process_id '{info.process_id}' khác sơ đồ ('{process.id}')")
    props = process.properties
    if props.get("procedure_code", "").strip() != info.code:
        lines.append(f"{where}: code '{info.code}' khác procedure_code của sơ đồ "
                     f"('{props.get('procedure_code', '')}')")
    for key, value in (("legal_working_days", info.legal_working_days),
                       ("reduced_working_days", info.reduced_working_days)):
        raw = props.get(key, "").strip()
        try:
            in_diagram = Decimal(raw) if raw else None
        except ArithmeticError:
            lines.append(f"{where}: {key} của sơ đồ không phải số: '{raw}'")
            continue
        if in_diagram != value:
            lines.append(f"{where}: {key} = {value} khác sơ đồ ({raw or 'không có'})")
    return lines


def check_lanes(bpmn_path: str | Path, agencies: Iterable[AgencyRecord | KindRecord]) -> list[str]:
    """Lanes of a diagram that match no agency (or agency kind) of the registry by code or name."""
    bpmn_path = Path(bpmn_path)
    keys = set()
    for a in agencies:
        keys.add(normalise_name(a.code))
        keys.add(normalise_name(a.name))
    try:
        process = _diagram_process(bpmn_path)
    except (LienThongError, OSError) as exc:
        return [f"{bpmn_path}: không đọc được sơ đồ: {exc}"]
    return [f"{bpmn_path}:{lane.line}: làn '{lane.name}' không khớp cơ quan nào trong danh mục"
            for lane in process.lanes if normalise_name(lane.name) not in keys]


def lane_records(registry_path: str | Path) -> list[AgencyRecord | KindRecord]:
    """Everything a lane may name in a registry file: its agencies and its kinds."""
    return [*load_agency_registry(registry_path), *load_kinds(registry_path)]


def procedure_files(workflows_dir: str | Path) -> list[tuple[Path, Path]]:
    """Pairs (diagram, metadata) in a workflows directory, sorted by name; lone files are left out."""
    root = Path(workflows_dir)
    pairs = []
    for bpmn in sorted(root.glob("*.bpmn")):
        toml = bpmn.with_suffix(".toml")
        if toml.exists():
            pairs.append((bpmn, toml))
    return pairs


def check_catalog(workflows_dir: str | Path) -> list[str]:
    """Every problem of a workflows directory: registry, each metadata file, lanes, agency codes."""
    root = Path(workflows_dir)
    registry_path = root / AGENCY_FILE
    lines = check_metadata(registry_path)
    agencies = [] if lines else load_agency_registry(registry_path)
    codes = {a.code for a in agencies} | ({k.code for k in load_kinds(registry_path)} if agencies else set())
    for bpmn in sorted(root.glob("*.bpmn")):
        if not bpmn.with_suffix(".toml").exists():
            lines.append(f"{bpmn}: thiếu tệp thông tin thủ tục {bpmn.with_suffix('.toml').name}")
    for toml in sorted(root.glob("*.toml")):
        if toml.name != AGENCY_FILE and not toml.with_suffix(".bpmn").exists():
            lines.append(f"{toml}: thiếu sơ đồ {toml.with_suffix('.bpmn').name}")
    for bpmn, toml in procedure_files(root):
        problems = check_metadata(toml)
        lines += problems
        if agencies:
            lines += check_lanes(bpmn, [*agencies, *load_kinds(registry_path)])
            if not problems:
                info = load_procedure_info(toml)
                lines += [f"{toml}: mã cơ quan hay loại cơ quan không có trong danh mục (unknown agency code): {c}"
                          for c in info.responsible_agencies if c not in codes]
    return lines

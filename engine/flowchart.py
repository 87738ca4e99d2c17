"""Flowcharts of BPMN definitions: one band per agency (lane or pool), drawn by graphviz.

Each ``bpmndi:BPMNDiagram`` of a file is one drawing (a file without layout is one drawing of
everything). ``engine.flowchart_plan`` turns a diagram into graphviz terms and writes the ``dot``
pass; ``engine.flowchart_layout`` restacks the bands in the diagram's order and writes the final
``neato -n2`` source. This module runs graphviz, caches results and renders files.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from engine.bpmn_model import BpmnDocument, Process, read_bpmn
from engine.errors import DefinitionError, InvalidInput, LienThongError
from engine.flowchart_layout import Layout
from engine.flowchart_plan import Plan
from engine.flowchart_style import OVERLAY_STYLES, Header, OverlayStyle, clean
from engine.paths import main_path, working_days
from engine.problems import error

__all__ = ["FORMATS", "OVERLAY_STYLES", "Header", "OverlayStyle", "clear_cache", "diagram_count", "header_for",
           "render", "render_bytes", "render_files", "to_dot"]

FORMATS = ("svg", "png", "pdf", "dot")
#: Seconds one graphviz run may take before the render fails.
GRAPHVIZ_TIMEOUT_S = 20.0
#: Rendered outputs kept by ``render_bytes``.
CACHE_SIZE = 64


def _decimal_property(process: Process, name: str) -> Decimal | None:
    try:
        value = Decimal(process.properties.get(name, "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def header_for(process: Process) -> Header:
    """The default header of a process: its name, ``procedure_code`` and working-day limits."""
    total: Decimal | None = None
    if any(working_days(n) is not None for n in process.nodes.values()):
        path = main_path(process)
        total = path.budget if path is not None else None
    return Header(
        title=process.name.strip() or process.properties.get("procedure_name", "").strip(),
        code=process.properties.get("procedure_code", "").strip(),
        legal_working_days=_decimal_property(process, "legal_working_days"),
        reduced_working_days=_decimal_property(process, "reduced_working_days"),
        main_path_total=total,
    )



def _graphviz(args: Sequence[str], source: str) -> bytes:
    try:
        done = subprocess.run(["dot", *args], input=source.encode("utf-8"), capture_output=True,
                              timeout=GRAPHVIZ_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise RuntimeError("Không tìm thấy chương trình 'dot' của graphviz")\
            from None
    except subprocess.TimeoutExpired:
        raise DefinitionError([error(f"Graphviz vẽ sơ đồ quá {GRAPHVIZ_TIMEOUT_S:g} giây")]) from None
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise DefinitionError([error(f"Graphviz không vẽ được sơ đồ: {detail}")])
    return done.stdout


def _default_header(doc: BpmnDocument) -> Header | None:
    candidates = [p for p in doc.processes if p.nodes]
    main = next((p for p in candidates if p.executable), candidates[0] if candidates else None)
    if main is None:
        return None
    header = header_for(main)
    if not header.title and doc.participants:
        header = Header(clean(doc.participants[0].name), header.code, header.legal_working_days,
                        header.reduced_working_days, header.main_path_total, header.extra_lines)
    return header if header.title or header.lines() else None


def _check(fmt: str, overlay: Mapping[str, str] | None) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"Định dạng không hỗ trợ: {fmt!r} (chọn một trong {', '.join(FORMATS)})")
    for element_id, state in (overlay or {}).items():
        if state not in OVERLAY_STYLES:
            raise InvalidInput(f"Trạng thái không hợp lệ cho {element_id!r}: {state!r}")


def diagram_count(doc: BpmnDocument) -> int:
    """How many drawings the document makes: one per ``BPMNDiagram``, at least one."""
    return max(1, len(doc.diagrams))


def to_dot(doc: BpmnDocument, *, overlay: Mapping[str, str] | None = None, header: Header | None = None,
           agency_names: Mapping[str, str] | None = None, diagram: int = 0) -> str:
    """The final graphviz source of one diagram (positions included; draw it with ``dot -Kneato -n2``)."""
    _check("dot", overlay)
    if not 0 <= diagram < diagram_count(doc):
        raise InvalidInput(f"Không có sơ đồ số {diagram + 1} (tệp có {diagram_count(doc)} sơ đồ)")
    plan = Plan(doc, doc.diagrams[diagram] if doc.diagrams else None, only_shown=len(doc.diagrams) > 1,
                overlay=overlay or {}, header=header if header is not None else _default_header(doc),
                agency_names=agency_names or {}, legend=overlay is not None)
    layout = json.loads(_graphviz(["-Tjson"], plan.first_pass()).decode("utf-8"))
    return Layout(plan, layout).source()


def render(doc: BpmnDocument, fmt: str = "svg", *, overlay: Mapping[str, str] | None = None,
           header: Header | None = None, agency_names: Mapping[str, str] | None = None,
           diagram: int = 0) -> bytes:
    """Draw a definition as svg, png, pdf or dot; ``overlay`` colours a dossier's elements by state.

    ``overlay`` maps element ids to one of OVERLAY_STYLES ("completed", "current", "late",
    "late_completed", "cancelled") and adds a legend; ``header`` defaults to ``header_for`` of the
    main process; ``agency_names`` maps lane names to the agency names shown on the bands;
    ``diagram`` picks one of the file's ``BPMNDiagram``s (the first by default).
    """
    _check(fmt, overlay)
    source = to_dot(doc, overlay=overlay, header=header, agency_names=agency_names, diagram=diagram)
    if fmt == "dot":
        return source.encode("utf-8")
    return _graphviz(["-Kneato", "-n2", f"-T{fmt}"], source)


_cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()


def _frozen(mapping: Mapping[str, str] | None) -> tuple[tuple[str, str], ...] | None:
    return None if mapping is None else tuple(sorted(mapping.items()))


def render_bytes(data: bytes, fmt: str = "svg", *, overlay: Mapping[str, str] | None = None,
                 header: Header | None = None, agency_names: Mapping[str, str] | None = None) -> bytes:
    """Read BPMN bytes and render them, cached by content hash, format, overlay, header and names."""
    key = (hashlib.sha256(data).hexdigest(), fmt, _frozen(overlay), header, _frozen(agency_names))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    out = render(read_bpmn(data), fmt, overlay=overlay, header=header, agency_names=agency_names)
    with _cache_lock:
        _cache[key] = out
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return out


def clear_cache() -> None:
    """Forget every cached rendering."""
    with _cache_lock:
        _cache.clear()


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, DefinitionError) and exc.problems:
        parts = [(f"dòng {p.line}: " if p.line else "") + p.message for p in exc.problems]
        return " ".join("; ".join(parts).split())
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, LienThongError | OSError) else f"{type(exc).__name__}: {text}"


def render_files(paths: Sequence[Path], out_dir: Path, formats: Sequence[str]) -> list[str]:
    """Render each file to ``out_dir/<stem>.<fmt>`` (its second diagram to ``<stem>.2.<fmt>``...);
    return one ``FILE: ERROR message`` per failure."""
    for fmt in formats:
        _check(fmt, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for path in paths:
        try:
            doc = read_bpmn(Path(path).read_bytes())
            for index in range(diagram_count(doc)):
                stem = Path(path).stem + (f".{index + 1}" if index else "")
                for fmt in formats:
                    (out_dir / f"{stem}.{fmt}").write_bytes(render(doc, fmt, diagram=index))
        except Exception as exc:  # one line per file, never a traceback
            failures.append(f"{path}: ERROR {_one_line(exc)}")
    return failures


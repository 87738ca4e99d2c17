"""Parse untrusted XML (uploaded diagrams): no DTD, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

from engine.errors import DefinitionError
from engine.problems import error
from engine.xml_messages import vietnamese

#: Largest diagram accepted, in bytes. Real procedures are 20-250 KB; MIWG's largest is 240 KB.
MAX_XML_BYTES = 2 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=True,
    )


def parse_xml(data: bytes, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Return the parsed tree, or raise DefinitionError with a one-line reason.

    BPMN never needs a DOCTYPE, so any document type declaration is refused outright: that
    closes external entities (XXE), entity expansion ("billion laughs") and DTD fetches at once.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_xml expects bytes")
    if len(data) > max_bytes:
        raise DefinitionError([error(f"Tệp quá lớn: {len(data)} byte, tối đa {max_bytes} byte")])
    if not data.strip():
        raise DefinitionError([error("Tệp rỗng")])
    refused = DefinitionError([error("Tệp chứa khai báo DOCTYPE/ENTITY, không được phép")])
    head = bytes(data[:4096]).lower()
    if b"<!doctype" in head or b"<!entity" in bytes(data).lower():
        raise refused
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        column = f", cột {exc.position[1]}" if exc.position and exc.position[1] else ""
        raise DefinitionError([error(f"XML không hợp lệ (dòng {line}{column}): {vietnamese(exc.msg)}",
                                     line=line)]) from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise refused  # the byte search misses one after 4 KB of comments, or in UTF-16/UTF-32 text
    return tree

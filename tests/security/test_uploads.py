"""Hostile uploads (oversized, XXE, entity bombs, DOCTYPE, not BPMN) are refused everywhere, changing nothing.

The four doors a diagram comes in by: ``Engine.deploy``, ``lienthong validate``, the designer's upload
page and ``POST /api/v1/procedures``. Each refusal is a clear one-line message; no file is read, no
network is touched, no procedure is published, no row is written.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.errors import DefinitionError
from engine.xmlsafe import MAX_XML_BYTES
from tests.conftest import DATA
from tests.security.conftest import snapshot
from tests.webui.helpers import login, post, token_of

SOURCE = (DATA / "three_agencies.bpmn").read_bytes()
DECL = b'<?xml version="1.0" encoding="UTF-8"?>'
SIGN = 'name="Ký quyết định"'.encode()


def _with_prolog(prolog: bytes, *, entity: bytes = b"") -> bytes:
    """The good test diagram with ``prolog`` after the XML declaration and ``entity`` used as a step name."""
    out = SOURCE.replace(DECL, DECL + prolog)
    return out.replace(SIGN, b'name="' + entity + b'"') if entity else out


_LAUGHS = (b'<!DOCTYPE bpmn:definitions [<!ENTITY lol "lol">'
           + b"".join(b"<!ENTITY lol%d \"%s\">" % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                      for i in range(1, 10)) + b"]>")

#: name → (bytes, a word the refusal must contain)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "oversized": (SOURCE + b"<!--" + b"x" * MAX_XML_BYTES + b"-->", "quá lớn"),
    "xxe_external_entity": (_with_prolog(b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                                         entity=b"&x;"), "DOCTYPE"),
    "xxe_parameter_entity": (_with_prolog(b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'),
                             "DOCTYPE"),
    "doctype_external_dtd": (_with_prolog(b'<!DOCTYPE bpmn:definitions SYSTEM "file:///etc/passwd">'), "DOCTYPE"),
    # A DOCTYPE may follow any amount of comment; it is refused wherever it stands.
    "doctype_after_4kb_of_comment": (_with_prolog(b"<!--" + b"-" * 0 + b"x" * 5000 + b'-->\n'
                                                  b'<!DOCTYPE bpmn:definitions SYSTEM "file:///etc/passwd">'),
                                     "DOCTYPE"),
    # The same declaration in UTF-16 hides from a byte search but not from the parser.
    "utf16_internal_entity": (_with_prolog(b'<!DOCTYPE d [<!ENTITY n "K&#253;">]>', entity=b"&n;")
                              .replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16"),
                              "DOCTYPE"),
    "billion_laughs": (_with_prolog(_LAUGHS, entity=b"&lol9;"), "DOCTYPE"),
    "billion_laughs_utf16": (_with_prolog(_LAUGHS, entity=b"&lol9;")
                             .replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16"),
                             "XML"),
    "html": (b"<!DOCTYPE html><html><body><p>not a diagram</p></body></html>", "DOCTYPE"),
    "xhtml": (b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "BPMN"),
    "svg": (DECL + b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "BPMN"),
    "json": (b'{"definitions": {"process": []}}', "XML"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(200), "XML"),
    "broken_xml": (SOURCE[: len(SOURCE) // 2], "XML"),
}
IDS = list(HOSTILE)


def upload(client, path: str, data: dict, headers: dict | None = None):
    """A multipart POST encoded in memory (the test client would spool a large body to an unclosed file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    fields = {k: FileStorage(io.BytesIO(v[0]), filename=v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, headers=headers or {},
                       content_type=f"multipart/form-data; boundary={boundary}")


def _refusal_is_clear(problems: list, word: str) -> None:
    errors = [p for p in problems if p.is_error]
    assert errors, "refused without a message"
    assert any(word.lower() in p.message.lower() for p in errors), [p.message for p in errors]
    for p in errors:
        assert p.message.strip() and "\n" not in p.message
        assert "root:" not in p.message and "Traceback" not in p.message  # nothing of /etc/passwd


@pytest.mark.parametrize("name", IDS)
def test_engine_deploy_refuses_and_changes_nothing(engine, world, name):
    data, word = HOSTILE[name]
    before = snapshot(engine)
    started = time.monotonic()
    with pytest.raises(DefinitionError) as exc:
        engine.deploy(data, filename=f"{name}.bpmn")
    assert time.monotonic() - started < 5
    _refusal_is_clear(list(exc.value.problems), word)
    assert engine.procedures() == []
    assert snapshot(engine) == before


def test_lienthong_validate_prints_one_line_per_file_and_exits_1(tmp_path: Path, db_url: str, world):
    paths = []
    for name in IDS:
        path = tmp_path / f"{name}.bpmn"
        path.write_bytes(HOSTILE[name][0])
        paths.append(path)
    cli = Path(sys.executable).with_name("lienthong")
    env = {**os.environ, "DATABASE_URL": db_url}
    result = subprocess.run([str(cli), "validate", *map(str, paths)], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == len(paths), lines
    for path, line in zip(paths, lines, strict=True):
        assert line.startswith(f"{path}:") and ": ERROR " in line, line
        assert HOSTILE[path.stem][1].lower() in line.lower(), line
    alone = subprocess.run([str(cli), "validate", str(paths[1])], capture_output=True, text=True, env=env,
                           timeout=60)
    assert alone.returncode == 1 and len(alone.stdout.splitlines()) == 1 and not alone.stderr


@pytest.mark.parametrize("name", IDS)
def test_designer_upload_page_refuses_and_publishes_nothing(client, engine, world, data_dir, name):
    data, word = HOSTILE[name]
    login(client, "designer")
    before = {k: v for k, v in snapshot(engine).items() if k != "rate_limits"}
    response = upload(client, "/designer/upload", {"bpmn": (data, f"{name}.bpmn"),
                                                   "csrf_token": token_of(client, "/designer")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert word.lower() in page.lower()
    assert "root:x:" not in page
    # Submitting the refused upload is refused too: it was never kept, so its hash is unknown.
    sha = hashlib.sha256(data).hexdigest()
    published = post(client, "/designer/submit", {"sha": sha, "filename": f"{name}.bpmn"}, page="/designer")
    assert published.status_code == 404
    assert engine.procedures() == []
    assert {k: v for k, v in snapshot(engine).items() if k != "rate_limits"} == before


def test_designer_upload_over_5_mb_is_refused_before_reading_it_all(client, engine, world, data_dir):
    login(client, "designer")
    response = upload(client, "/designer/upload", {"bpmn": (b" " * (5 * 1024 * 1024 + 1), "big.bpmn"),
                                                   "csrf_token": token_of(client, "/designer")})
    assert response.status_code == 302
    assert "Tệp quá lớn" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert engine.procedures() == []
    assert not (data_dir / "uploads").exists() or not any((data_dir / "uploads").iterdir())


@pytest.fixture
def designer_token(client, world) -> str:
    from tests.conftest import PASSWORD

    r = client.post("/api/v1/tokens", json={"username": "designer", "password": PASSWORD})
    assert r.status_code == 201
    return r.get_json()["token"]


def _api_deploy(client, token: str, data: bytes, name: str = "upload.bpmn"):
    return upload(client, "/api/v1/procedures", {"file": (data, name)},
                  headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("name", IDS)
def test_api_refuses_with_422_and_the_messages(client, engine, designer_token, name):
    data, word = HOSTILE[name]
    before = snapshot(engine)
    r = _api_deploy(client, designer_token, data, f"{name}.bpmn")
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] and body["errors"]
    assert any(word.lower() in e["message"].lower() for e in body["errors"]), body
    assert "root:x:" not in r.get_data(as_text=True)
    assert engine.procedures() == [] and snapshot(engine) == before


def test_api_refuses_oversized_bodies_with_413(app, client, engine, designer_token):
    from webui.api import MAX_BPMN_BYTES

    before = snapshot(engine)
    r = _api_deploy(client, designer_token, b" " * (MAX_BPMN_BYTES + 1))
    assert r.status_code == 413 and r.get_json()["error"]
    r = _api_deploy(client, designer_token, b" " * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert r.status_code == 413 and r.get_json()["error"]
    r = _api_deploy(client, designer_token, b"")
    assert r.status_code == 400 and r.get_json()["error"]
    assert engine.procedures() == [] and snapshot(engine) == before


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["broken_xml", "xxe_external_entity", "oversized", "over_5_mb"])
def test_designer_refused_upload_leaves_nothing_on_disk(client, engine, world, data_dir, name):
    login(client, "designer")
    good = upload(client, "/designer/upload", {"bpmn": (SOURCE, "good.bpmn"),
                                               "csrf_token": token_of(client, "/designer")})
    assert good.status_code == 200  # an accepted upload waits for publication on disk
    before = _files(data_dir)
    assert before
    data = b" " * (5 * 1024 * 1024 + 1) if name == "over_5_mb" else HOSTILE[name][0]
    refused = upload(client, "/designer/upload", {"bpmn": (data, f"{name}.bpmn"),
                                                  "csrf_token": token_of(client, "/designer")})
    assert refused.status_code in (302, 422)
    assert _files(data_dir) == before

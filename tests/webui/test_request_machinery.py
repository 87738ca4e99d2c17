"""What every request relies on, on stock Flask: request bodies read as JSON objects (anything else a clear
400), security headers on every answer, errors in the chosen language, no session cookie for API clients."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

NOT_OBJECTS = [b"[]", b"null", b"1", b'"x"', b"{", b"{} {}", b'{"a":1,}', b"\xff", b"[" * 600 + b"]" * 600]


@pytest.mark.parametrize("raw", NOT_OBJECTS, ids=range(len(NOT_OBJECTS)))
def test_a_body_that_is_not_a_json_object_is_a_clear_400(client, world, raw):
    token = _token(client)
    r = client.post("/api/v1/steps/1/complete", data=raw, content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and r.get_json() == {"error": "Nội dung yêu cầu phải là một đối tượng JSON hợp lệ"}


@pytest.mark.parametrize("raw", [b"", b"{}", b" {} ", '{"tên": "Nguyễn Văn An"}'.encode()])
def test_an_empty_body_or_an_object_is_read(client, world, raw):
    token = _token(client)
    r = client.post("/api/v1/steps/999999/complete", data=raw, content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404  # read, then the step is looked for


def _token(client: Any) -> str:
    r = client.post("/api/v1/tokens", json={"username": "clerk", "password": PASSWORD})
    return str(r.get_json()["token"])


def _security_headers(r: Any) -> None:
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin" and "camera=()" in r.headers["Permissions-Policy"]
    assert r.headers["Vary"] == "Cookie"


def test_api_answers_keep_security_headers_and_vietnamese_errors_without_a_cookie(app, client, world):
    token = _token(client)
    client._cookies.clear()
    ok = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and "Set-Cookie" not in ok.headers
    _security_headers(ok)
    refused = client.get("/api/v1/inbox", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="lienthong"'
    assert refused.get_json() == {"error": "Thiếu mã truy cập hoặc mã đã hết hạn"}
    _security_headers(refused)
    bad = client.post("/api/v1/dossiers", data=b"{not json", content_type="application/json",
                      headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json() == {"error": "Nội dung yêu cầu phải là một đối tượng JSON hợp lệ"}
    assert "Set-Cookie" not in bad.headers
    _security_headers(bad)


def test_api_errors_follow_the_chosen_language_and_its_cookie(app, client, world):
    token = _token(client)
    client._cookies.clear()
    english = client.get("/api/v1/inbox?lang=en", headers={"Authorization": "Bearer not-a-token"})
    assert english.status_code == 401 and english.get_json() == {"error": "Missing or expired bearer token"}
    assert english.headers["Set-Cookie"].startswith("session=")  # the choice is kept, as on pages
    _security_headers(english)
    # The session cookie now carries the language: the next API error is English without ?lang=.
    bad = client.post("/api/v1/dossiers", data=b"[1]", content_type="application/json",
                      headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["error"] != "Nội dung yêu cầu phải là một đối tượng JSON hợp lệ"
    assert bad.get_json()["error"].isascii()
    assert "Set-Cookie" not in bad.headers
    client._cookies.clear()
    again = client.post("/api/v1/dossiers", data=b"[1]", content_type="application/json",
                        headers={"Authorization": f"Bearer {token}"})
    assert again.get_json() == {"error": "Nội dung yêu cầu phải là một đối tượng JSON hợp lệ"}


def test_a_view_run_twice_through_a_request_still_works(client, world):
    for _ in range(3):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_worker_heartbeat_file_lives_in_memory_where_it_can():
    import os

    from gunicorn.config import Config

    from webui import gunicorn_conf

    cfg = Config()
    cfg.set("worker_tmp_dir", gunicorn_conf.worker_tmp_dir)
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        assert cfg.worker_tmp_dir == "/dev/shm"
    else:
        assert cfg.worker_tmp_dir is None

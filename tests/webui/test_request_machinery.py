"""The per-request machinery made cheaper for bearer-token API calls still behaves exactly as Flask's:
request bodies read as Flask reads them, the Vary header, security headers and localised errors on API
answers, the session cookie only when the language is chosen, the async check done once per function."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from flask import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import BadRequest

from tests.conftest import PASSWORD
from webui import api as api_module
from webui.security import _vary_cookie


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _flask_reads(app: Any, raw: bytes) -> Any:
    """What the API read before: Flask's own parser (``request.get_json(silent=True, force=True)``)."""
    with app.test_request_context("/api/v1/steps/1/complete", method="POST", data=raw,
                                  content_type="application/json"):
        from flask import request

        if not request.get_data(cache=True):
            return {}
        payload = request.get_json(silent=True, force=True)
        return payload if isinstance(payload, dict) else BadRequest


def _body_reads(app: Any, raw: bytes) -> Any:
    with app.test_request_context("/api/v1/steps/1/complete", method="POST", data=raw,
                                  content_type="application/json"):
        try:
            return api_module._body()
        except BadRequest:
            return BadRequest


EDGE_BODIES = [
    b"", b"{}", b" {} ", b"\t\r\n{}\n", b"[]", b"null", b"1", b'"x"', b"{", b"{} {}", b'{"a":1,}',
    b'{"a": 123456789012345678901234567890}', b'{"a": 18446744073709551615}', b'{"a": 18446744073709551616}',
    b'{"a": -9223372036854775808}', b'{"a": -9223372036854775809}', b'{"a": 9999999999999999999}',
    b'{"a": 1e400}', b'{"a": -1e400}', b'{"a": 1e-400}', b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -0}',
    b'{"a": -0.0}', b'{"a": 1.0}', b'{"a": 0.1}', b'{"a": 1E5}', b'{"a": 1.7976931348623159e308}',
    b'{"a": "\\ud800"}', b'{"a": "\\ud83d\\ude00"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xff"}',
    b'{"a": "a\tb"}', b'{"a": "\\u0000"}', b'{"a":1,"a":2,"b":3}', b'\xef\xbb\xbf{"a":1}',
    '{"tên": "Nguyễn Văn An"}'.encode(), '{"a": "é"}'.encode("utf-16"), '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-32"), b'{"data": {"x": "' + b"9" * 40 + b'"}}', b"[" * 600 + b"]" * 600,
]


@pytest.mark.parametrize("raw", EDGE_BODIES, ids=range(len(EDGE_BODIES)))
def test_request_bodies_read_as_flask_reads_them(app, raw):
    assert _same(_body_reads(app, raw), _flask_reads(app, raw))


def test_a_body_nested_too_deep_fails_as_before(app):
    raw = b"[" * 5000 + b"]" * 5000
    with pytest.raises(RecursionError):
        _flask_reads(app, raw)
    with pytest.raises(RecursionError):
        _body_reads(app, raw)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5), ascii_only=st.booleans(),
       spaced=st.booleans())
def test_any_json_object_reads_as_flask_reads_it(app, payload, ascii_only, spaced):
    raw = json.dumps(payload, ensure_ascii=ascii_only, separators=(", ", ": ") if spaced else (",", ":"))
    data = raw.encode("utf-8", "surrogatepass")
    assert _same(_body_reads(app, data), _flask_reads(app, data))


@pytest.mark.parametrize("existing", [None, "", "Accept-Encoding", "cookie", "Accept-Encoding, Cookie",
                                      "Origin,Accept-Language"])
def test_vary_cookie_is_what_flask_adds(existing):
    ours, flasks = Response(), Response()
    if existing is not None:
        ours.headers["Vary"] = flasks.headers["Vary"] = existing
    _vary_cookie(ours)
    flasks.vary.add("Cookie")
    assert ours.headers.getlist("Vary") == flasks.headers.getlist("Vary")


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


def test_the_async_check_is_made_once_per_plain_function(app, monkeypatch):
    import flask.app

    asked: list[Any] = []
    real = flask.app.iscoroutinefunction

    def counting(func: Any) -> bool:
        asked.append(func)
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)

    def view() -> str:
        return "x"

    assert app.ensure_sync(view) is view and app.ensure_sync(view) is view
    assert asked == [view]

    async def coroutine_view() -> str:
        return "x"

    wrapped: list[Any] = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: wrapped.append(func) or (lambda: "sync"))
    assert app.ensure_sync(coroutine_view)() == "sync" and app.ensure_sync(coroutine_view)() == "sync"
    assert wrapped == [coroutine_view, coroutine_view]  # wrapped each time, as Flask does


def test_a_view_run_twice_through_a_request_still_works(client, world):
    for _ in range(3):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_times_are_written_as_the_calendar_writes_them_and_remembered_across_answers(app, monkeypatch):
    from datetime import UTC, datetime, timedelta, timezone

    with app.test_request_context("/api/v1/inbox"):
        calendar = app.extensions["lienthong_engine"].calendar()
        instant = datetime(2026, 3, 2, 1, 30, 15, 999, tzinfo=UTC)
        values = [instant, instant.astimezone(timezone(timedelta(hours=-5))), datetime(2026, 3, 2, 8, 30, 15),
                  instant + timedelta(days=400), None]
        first = api_module._Times()
        expected = [None if v is None else calendar.localize(v).isoformat(timespec="seconds") for v in values]
        assert [first(v) for v in values] == expected
        assert first(instant) == "2026-03-02T08:30:15+07:00"

        calls: list[datetime] = []
        real = type(calendar).localize

        def counting(self: Any, value: datetime) -> datetime:
            calls.append(value)
            return real(self, value)

        monkeypatch.setattr(type(calendar), "localize", counting)
        later = api_module._Times()  # another answer
        assert [later(v) for v in values] == expected
        # The UTC instants (and the same instant written in another zone) are not formatted again; the naive
        # local time, which the engine never returns, is.
        assert calls == [values[2]]


def test_the_remembered_times_are_bounded(app, monkeypatch):
    from datetime import UTC, datetime, timedelta

    monkeypatch.setattr(api_module, "ISO_CACHE_SIZE", 5)
    with app.test_request_context("/api/v1/inbox"):
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(20):
            api_module._Times()(start + timedelta(minutes=n))
        zone = app.extensions["lienthong_engine"].calendar().zone
        assert len(api_module._iso_texts[zone]) <= 5


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

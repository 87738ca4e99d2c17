"""Security headers on every response, session cookie flags, Argon2id password hashes, hashed API tokens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from engine import accounts
from tests.conftest import PASSWORD, ROOT
from tests.security.conftest import snapshot
from tests.security.test_csrf import url_of
from tests.webui.helpers import csrf, login, post, token_of

TEMPLATES = ROOT / "webui" / "templates"


def assert_secure_headers(response: Any, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "default-src 'self'" in csp or "default-src 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where


def _every_get(app: Any, client: Any, code: str, step_id: int) -> list[tuple[str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        path = "/static/app.js" if rule.endpoint == "static" else url_of(app, rule, code, step_id)
        response = client.get(path)
        response.close()
        out.append((path, response))
    return out


def test_every_page_and_error_carries_the_headers(app, client, engine, world, deployed, boss):
    d = engine.start_dossier(world["clerk"], deployed, {"name": "Lê Thị Hoa"})
    step = d.open_steps[0].id
    seen = _every_get(app, client, d.code, step)  # anonymous: pages, redirects, 401s, 404s
    login(client, "boss")
    seen += _every_get(app, client, d.code, step)  # logged in with every role
    seen.append(("csrf refusal", client.post(f"/steps/{step}/claim")))
    seen.append(("api 401", client.get("/api/v1/inbox")))
    seen.append(("not found", client.get("/no-such-page")))
    seen.append(("method not allowed", client.delete("/inbox")))
    app.config["LOGIN_RATE_LIMIT"] = (1, 300)
    client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong-password"})
    seen.append(("rate limited", client.post("/api/v1/tokens", json={"username": "x", "password": "y"})))
    assert {r.status_code for _, r in seen} >= {200, 302, 400, 401, 404, 405, 429}
    for where, response in seen:
        assert_secure_headers(response, where)


def test_the_session_cookie_is_httponly_and_samesite(client, world):
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token_of(client)})
    cookies = response.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    assert "HttpOnly" in session[0] and "SameSite=Lax" in session[0]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_secure_cookies_and_hsts_when_served_over_tls(engine, world, monkeypatch):
    from webui import create_app

    monkeypatch.setenv("LIENTHONG_SECURE_COOKIES", "1")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                      "DATABASE_URL": engine.db.url.render_as_string(hide_password=False)})
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    form = {"username": "clerk", "password": PASSWORD, "csrf_token": csrf(page.get_data(as_text=True))}
    # Over HTTPS the CSRF check also wants a same-site Referer (Flask-WTF's strict SSL mode).
    assert client.post("/login", base_url="https://localhost", data=form).status_code == 400
    forged = client.post("/login", base_url="https://localhost", data=form,
                         headers={"Referer": "https://evil.example/login"})
    assert forged.status_code == 400
    response = client.post("/login", base_url="https://localhost", data=form,
                           headers={"Referer": "https://localhost/login"})
    assert response.status_code == 302
    session = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]


def test_templates_need_no_inline_script_or_style(tmp_path: Path):
    """The CSP forbids inline scripts, handlers and style attributes: the templates must not need them."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert not re.search(r"\sstyle\s*=", text), path
        assert "javascript:" not in text.lower(), path


def _everything_stored(engine: Any, db_url: str) -> str:
    text = repr(snapshot(engine))
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                text += file.read_bytes().decode("latin-1")
    return text


def test_passwords_are_stored_only_as_argon2id_hashes(client, engine, db_url, admin):
    chosen = "mat-khau-RAT-rieng-123"
    login(client, "admin")
    assert post(client, "/admin/officials", {"username": "moi", "full_name": "Người Mới", "agency": "PCM",
                                             "roles": "officer", "password": chosen}, page="/admin").status_code == 302
    with engine.transaction() as s:
        accounts.add_official(s, "moi2", full_name="Người Mới Hai", agency_code="PCM", roles="officer",
                              password=chosen + "2", now=engine.now())
        hashes = dict(s.execute(accounts.select(accounts.models.Official.username,
                                                accounts.models.Official.password_hash)).all())
    stored = _everything_stored(engine, db_url)
    assert chosen not in stored and (chosen + "2") not in stored
    assert chosen.encode("utf-16-le").decode("latin-1") not in stored
    for username in ("moi", "moi2", "admin"):
        assert hashes[username].startswith("$argon2id$v=19$"), hashes[username]
    assert PasswordHasher().verify(hashes["moi"], chosen)
    # a wrong attempt stores no password either
    client.post("/api/v1/tokens", json={"username": "moi", "password": chosen + "-sai"})
    assert chosen not in _everything_stored(engine, db_url)


def test_production_hashing_parameters_are_rfc_9106():
    """Outside the test suite the hasher is Argon2id with 64 MiB and 3 passes (RFC 9106 low-memory)."""
    code = ("from engine import accounts as a; p = a._hasher; "
            "print(p.type.name, p.memory_cost, p.time_cost, p.parallelism)")
    env = {k: v for k, v in os.environ.items() if k != "LIENTHONG_PASSWORD_HASHING"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=ROOT).stdout.split()
    assert out[0] == "ID" and int(out[1]) >= 65536 and int(out[2]) >= 3


def test_api_tokens_are_stored_only_as_hashes(client, engine, db_url, world):
    token = client.post("/api/v1/tokens", json={"username": "clerk", "password": PASSWORD}).get_json()["token"]
    assert len(token) >= 40
    assert client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in _everything_stored(engine, db_url)


@pytest.mark.parametrize("path", ["/login?next=https://evil.example/", "/login?next=//evil.example/x",
                                  "/login?next=/\\evil.example"])
def test_login_never_redirects_off_site(client, world, path):
    response = client.post(path, data={"username": "clerk", "password": PASSWORD, "csrf_token": token_of(client)})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location

"""Login, logout, CSRF, role guards and the English switch on the officials' pages."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.webui.helpers import csrf, login, post, token_of


def test_login_then_logout(client, world):
    assert client.get("/inbox").status_code == 302  # to the login page
    bad = client.post("/login", data={"username": "clerk", "password": "sai-mat-khau",
                                      "csrf_token": token_of(client)})
    assert "Sai tên đăng nhập hoặc mật khẩu" in bad.get_data(as_text=True)
    response = login(client, "clerk")
    assert response.headers["Location"].endswith("/inbox")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Hộp việc" in page and "Clerk" in page
    out = client.post("/logout", data={"csrf_token": csrf(page)})
    assert out.status_code == 302
    assert client.get("/inbox").status_code == 302


def test_post_without_csrf_token_is_rejected_and_changes_nothing(client, engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "Lê Thị Hoa"})
    step = dossier.open_steps[0]
    login(client, "clerk")
    response = client.post(f"/steps/{step.id}/claim")
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert engine.inbox(world["clerk"])[0].state == "ready"
    assert client.post("/login", data={"username": "clerk", "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize(("username", "path", "status"), [
    ("officer", "/desk", 403), ("officer", "/dashboard", 403), ("officer", "/designer", 403),
    ("officer", "/admin", 403), ("clerk", "/admin", 403), ("leader", "/dashboard", 200),
    ("designer", "/designer", 200), ("clerk", "/desk", 200), ("clerk", "/dossiers", 200),
    ("officer", "/dossiers", 403),
])
def test_role_guards(client, world, username, path, status):
    login(client, username)
    assert client.get(path).status_code == status


def test_english_switch(client, world, deployed):
    login(client, "clerk")
    vi = client.get("/inbox").get_data(as_text=True)
    assert "Chờ nhận" in vi and "Ready to claim" not in vi
    en = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Inbox" in en and "Ready to claim" in en and "Hộp việc" not in en
    # the choice sticks for the session, and POST /lang/vi brings Vietnamese back
    assert "Reception" in client.get("/desk").get_data(as_text=True)
    post(client, "/lang/vi", {"next": "/inbox"})
    assert "Hộp việc" in client.get("/inbox").get_data(as_text=True)


def test_workers_starting_together_share_one_generated_secret_key(tmp_path, monkeypatch):
    import os
    import threading

    from webui import _secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(_secret_key(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert os.stat(tmp_path / "secret_key").st_mode & 0o777 == 0o600

"""Logins are rate-limited per account and client address, and per address across accounts (five times
looser), on the web form and the API token endpoint.

After LOGIN_RATE_LIMIT failed attempts within its window, even the right password is refused (429)
from that address until the window has passed; the official signing in from another address is never
locked out by a stranger's guesses. Successful logins do not count. The client's address is the
socket's, unless the app is told how many reverse proxies stand in front (TRUSTED_PROXIES): forged
X-Forwarded-For headers never dodge the limit.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.sessions import ADDRESS_FACTOR
from tests.conftest import PASSWORD
from tests.webui.helpers import token_of

LIMIT, WINDOW = 3, 300


@pytest.fixture
def limited(app):
    app.config["LOGIN_RATE_LIMIT"] = (LIMIT, WINDOW)
    return app


def web(client, username: str, password: str, addr: str = "127.0.0.1", **headers: str) -> int:
    token = token_of(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": addr}, headers=headers)
    if response.status_code == 302:
        client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    return response.status_code


def api(client, username: str, password: str, addr: str = "127.0.0.1", **headers: str) -> int:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": addr}, headers=headers)
    return response.status_code


DOORS = {"web": (web, 302, 200), "api": (api, 201, 401)}  # (login, success status, plain failure status)


@pytest.mark.parametrize("door", list(DOORS))
def test_per_account_and_address_even_the_right_password_is_refused_until_the_window_passes(
        limited, client, world, clock, door):
    attempt, ok, failed = DOORS[door]
    for _ in range(LIMIT):
        assert attempt(client, "clerk", "wrong-password", "10.0.0.1") == failed
    assert attempt(client, "clerk", PASSWORD, "10.0.0.1") == 429
    assert attempt(client, "CLERK ", PASSWORD, "10.0.0.1") == 429  # another spelling of the name is the same account
    assert attempt(client, "clerk", PASSWORD, "10.0.0.99") == ok  # the real official, elsewhere, is not locked out
    assert attempt(client, "officer", PASSWORD, "10.0.0.1") == ok  # nor other officials at that address
    clock.advance(seconds=WINDOW - 5)
    assert attempt(client, "clerk", PASSWORD, "10.0.0.1") == 429
    clock.advance(seconds=10)
    assert attempt(client, "clerk", PASSWORD, "10.0.0.1") == ok


@pytest.mark.parametrize("door", list(DOORS))
def test_per_address_across_usernames(limited, client, world, clock, door):
    attempt, ok, failed = DOORS[door]
    for i in range(LIMIT * ADDRESS_FACTOR):  # a few wrong tries on each of many accounts
        assert attempt(client, f"nobody{i // LIMIT}", "wrong-password", "10.9.9.9") == failed
    assert attempt(client, "clerk", PASSWORD, "10.9.9.9") == 429
    assert attempt(client, "clerk", PASSWORD, "10.9.9.10") == ok
    clock.advance(seconds=WINDOW + 1)
    assert attempt(client, "clerk", PASSWORD, "10.9.9.9") == ok


def test_successful_logins_do_not_count(limited, client, world):
    for _ in range(LIMIT + 2):
        assert web(client, "clerk", PASSWORD) == 302
        assert api(client, "clerk", PASSWORD) == 201


def test_unknown_users_and_wrong_passwords_get_the_same_answer(client, world):
    a = client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong-password"})
    b = client.post("/api/v1/tokens", json={"username": "clerk", "password": "wrong-password"})
    assert (a.status_code, a.get_json()) == (b.status_code, b.get_json())
    pages = []
    for username in ("nobody", "clerk"):
        r = client.post("/login", data={"username": username, "password": "wrong-password",
                                        "csrf_token": token_of(client)})
        pages.append((r.status_code, r.get_data(as_text=True).replace(f'value="{username}"', "")))
    assert pages[0][0] == pages[1][0] == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in pages[0][1] and "Sai tên đăng nhập hoặc mật khẩu" in pages[1][1]


def _app_behind_proxies(engine: Any, hops: int) -> Any:
    from webui import create_app

    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True, "TRUSTED_PROXIES": hops,
                      "DATABASE_URL": engine.db.url.render_as_string(hide_password=False)})
    app.config["LOGIN_RATE_LIMIT"] = (LIMIT, WINDOW)
    return app


@pytest.mark.parametrize("door", list(DOORS))
def test_forged_forwarded_for_headers_do_not_dodge_the_limit(engine, world, door):
    attempt, _ok, failed = DOORS[door]
    client = _app_behind_proxies(engine, 0).test_client()
    for i in range(LIMIT):
        assert attempt(client, "clerk", "wrong-password", "10.1.1.1", **{"X-Forwarded-For": f"192.0.2.{i}"}) == failed
    assert attempt(client, "clerk", PASSWORD, "10.1.1.1", **{"X-Forwarded-For": "192.0.2.200"}) == 429


@pytest.mark.parametrize("door", list(DOORS))
def test_behind_a_trusted_proxy_each_client_address_counts_alone(engine, world, door):
    attempt, ok, failed = DOORS[door]
    client = _app_behind_proxies(engine, 1).test_client()
    proxy = "127.0.0.1"
    for _ in range(LIMIT):
        assert attempt(client, "clerk", "wrong-password", proxy, **{"X-Forwarded-For": "198.51.100.7"}) == failed
    assert attempt(client, "clerk", PASSWORD, proxy, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert attempt(client, "clerk", PASSWORD, proxy, **{"X-Forwarded-For": "198.51.100.8"}) == ok

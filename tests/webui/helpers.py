"""Helpers for page tests: log in through the form, read the CSRF token from a rendered page."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no csrf_token in the page"
    return found.group(1)


def token_of(client: Any, path: str = "/login") -> str:
    return csrf(client.get(path).get_data(as_text=True))


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def post(client: Any, path: str, data: dict[str, Any] | None = None, *, page: str = "/inbox", **kw: Any) -> Any:
    """POST with the CSRF token read from ``page`` (a page the client may see)."""
    body = dict(data or {})
    body["csrf_token"] = token_of(client, page)
    return client.post(path, data=body, **kw)

"""A web session ends everywhere at logout, password change, role change and deactivation: a cookie saved
before any of them no longer opens a page, on this browser or any other."""

from __future__ import annotations

from typing import Any

import pytest

from engine import accounts
from tests.conftest import PASSWORD
from tests.webui.helpers import login, post


def _saved_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _opens_inbox(app: Any, cookie: str) -> bool:
    other = app.test_client()  # a browser holding only the saved cookie
    other.set_cookie("session", cookie)
    response = other.get("/inbox")
    return response.status_code == 200


def _logout(client: Any, app: Any) -> None:
    assert post(client, "/logout").status_code == 302


def _password(client: Any, app: Any) -> None:
    engine = app.extensions["lienthong_engine"]
    with engine.transaction() as s:
        accounts.set_password(s, "officer", "a-new-long-password", now=engine.now())


def _roles(client: Any, app: Any) -> None:
    engine = app.extensions["lienthong_engine"]
    with engine.transaction() as s:
        accounts.update_official(s, "officer", now=engine.now(), roles="officer,leader")


def _deactivate(client: Any, app: Any) -> None:
    engine = app.extensions["lienthong_engine"]
    with engine.transaction() as s:
        accounts.update_official(s, "officer", now=engine.now(), active=False)


ENDINGS = {"logout": _logout, "password change": _password, "role change": _roles, "deactivation": _deactivate}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_cookie_saved_before_no_longer_opens_the_inbox(app, client, world, ending):
    login(client, "officer")
    second_device = app.test_client()
    login(second_device, "officer")
    saved, saved_elsewhere = _saved_cookie(client), _saved_cookie(second_device)
    assert _opens_inbox(app, saved) and _opens_inbox(app, saved_elsewhere)
    ENDINGS[ending](client, app)
    assert not _opens_inbox(app, saved)
    assert not _opens_inbox(app, saved_elsewhere)
    assert second_device.get("/inbox").status_code == 302  # sent to the login page


def test_other_officials_keep_their_sessions(app, client, world):
    login(client, "officer")
    colleague = app.test_client()
    login(colleague, "officer2")
    _logout(client, app)
    assert colleague.get("/inbox").status_code == 200


def test_after_logging_in_again_the_new_session_works(app, client, world):
    login(client, "officer")
    old = _saved_cookie(client)
    _password(client, app)
    login(client, "officer", "a-new-long-password")
    assert client.get("/inbox").status_code == 200
    assert not _opens_inbox(app, old)


@pytest.mark.parametrize("forged", ["1", "1.", ".0", "1.0.0", "x.0", "1.-1", "1." + "9" * 50])
def test_a_session_id_of_another_shape_opens_nothing(app, world, forged):
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": forged, "_fresh": True})
    assert not _opens_inbox(app, cookie)


def test_an_api_token_is_not_a_web_session_and_survives_only_what_it_should(app, client, world):
    token = client.post("/api/v1/tokens", json={"username": "officer", "password": PASSWORD}).get_json()["token"]
    login(client, "officer")
    _logout(client, app)  # the web logout ends web sessions; the token is ended by its own revocation
    assert client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    _password(client, app)
    assert client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"}).status_code == 401

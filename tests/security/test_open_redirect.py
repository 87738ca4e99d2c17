"""After login (and after switching language) the browser goes only to a path on this site: every
spelling a browser could read as another host or a script is refused and the default page used."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.webui.helpers import post, token_of

#: Targets a browser would resolve off-site (or to a script); given raw in ?next= (the test client encodes them).
HOSTILE = [
    "//evil.example", "///evil.example", "////evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r/evil.example", "/ /evil.example", "/\\evil.example", "\\\\evil.example", "/\\/evil.example",
    "\\/evil.example", "https://evil.example", "http:evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>", "evil.example", "/%2fevil.example", "/%2Fevil.example",
    "/%5cevil.example", "/%5Cevil.example", "%2f%2fevil.example", "/%09/evil.example", "/\x00/evil.example",
    "/\u00a0/evil.example", "/\u2028/evil.example", " //evil.example", "\t//evil.example", "//evil.example/%2e%2e",
    "/" + "a" * 3000, "?next=//evil.example", "#//evil.example", "/%0d%0a/evil.example",
]
#: Same-site targets that must keep working.
FRIENDLY = ["/inbox", "/dossiers?q=Nguy%E1%BB%85n&status=open", "/dossiers/000.00.15.H12-261201-0001",
            "/stats?from=2026-01-01&to=2026-01-31", "/dossiers?q=Nguy%E1%BB%85n%20V%C4%83n&status="]


def _login(client, target: str):
    return client.post("/login?next=" + quote(target, safe=""),
                       data={"username": "clerk", "password": PASSWORD, "csrf_token": token_of(client)})


@pytest.mark.parametrize("target", HOSTILE, ids=range(len(HOSTILE)))
def test_login_never_sends_the_browser_off_site(client, world, target):
    response = _login(client, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


@pytest.mark.parametrize("target", FRIENDLY)
def test_login_returns_to_the_page_asked_for(client, world, target):
    response = _login(client, target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [*HOSTILE[:12], "/%2f%2fevil.example"], ids=range(13))
def test_the_language_switch_never_sends_the_browser_off_site(client, target):
    response = post(client, "/lang/en", {"next": target}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

"""The demo's citizen side: online applications wait at xã Liên Hương's desk after seeding, made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import accounts
from engine.demo import demo_username, seed
from engine.demo_citizens import seed_applications
from engine.documents import Documents
from engine.runtime import Engine
from tests.conftest import PASSWORD, ROOT


def test_the_demo_desk_has_online_applications_to_handle(engine: Engine, tmp_path: Path):
    stored = accounts.hash_password(PASSWORD)
    with pytest.MonkeyPatch.context() as mp:  # one hash for every demo official
        mp.setattr(accounts, "hash_password", lambda _password: stored)
        seed(engine, ROOT / "workflows", PASSWORD)
    documents = Documents(engine, tmp_path / "documents", max_bytes=1 << 20)
    sent = seed_applications(engine, documents)
    assert len(sent) == 2
    with engine.Session() as session:
        clerk = accounts.authenticate(session, demo_username("UBNDX.LH", "clerk"), PASSWORD)
        other = accounts.authenticate(session, demo_username("UBNDX.BB", "clerk"), PASSWORD)
    assert clerk is not None and other is not None
    queue = engine.applications(clerk)
    assert sorted(a.reference for a in queue) == sorted(sent)
    assert all(a.procedure_code == "1.001731" and a.commune_code == "68001" for a in queue)
    assert engine.applications(other) == []  # another commune's desk sees none of them
    assert seed_applications(engine, documents) == []  # a second seeding adds nothing
    assert len(engine.applications(clerk)) == 2

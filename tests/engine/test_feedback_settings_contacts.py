"""The feedback deadline and rate limit are settings; the published PAKN contacts are bounded and checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import accounts, feedback_contacts
from engine.errors import FormInvalid, InvalidInput, NotFound
from engine.feedback_stats import PaknFigures
from engine.settings import RateLimit, Settings


def test_feedback_settings_from_the_environment():
    s = Settings.from_env({"LIENTHONG_FEEDBACK_DAYS": "15", "LIENTHONG_FEEDBACK_RATE_LIMIT": "3/600"})
    assert s.feedback_working_days == Decimal(15) and s.feedback_rate_limit == RateLimit(3, 600)
    assert Settings.from_env({}).feedback_working_days == Decimal(10)
    for bad in ("0", "-1", "61", "mười"):
        with pytest.raises(InvalidInput):
            Settings.from_env({"LIENTHONG_FEEDBACK_DAYS": bad})


def test_shares_round_half_up_and_are_none_without_anything_to_judge():
    assert PaknFigures("a", "A", 3, 2, 1, 1, 0, 0).on_time_share == 33.3
    assert PaknFigures("a", "A", 3, 2, 2, 1, 3, 2).on_time_share == 66.7
    assert PaknFigures("a", "A", 3, 2, 2, 1, 3, 2).satisfied_share == 66.7
    assert PaknFigures("a", "A", 1, 0, 0, 0, 0, 0).on_time_share is None
    assert PaknFigures("a", "A", 1, 0, 0, 0, 0, 0).satisfied_share is None


def test_contacts_are_checked_bounded_and_replace_the_list(engine, world):
    person = {"name": "Lê Văn C", "title": "Chuyên viên", "phone": "0263 3822 999", "email": "c@pcm.example.vn"}
    for bad, field in (({**person, "name": ""}, "name_0"), ({**person, "email": "sai"}, "email_0"),
                       ({**person, "phone": "gọi tôi"}, "phone_0"), ({"name": "Chỉ tên"}, "phone_0"),
                       ({**person, "title": "x" * 161}, "title_0")):
        with pytest.raises(FormInvalid) as caught:
            feedback_contacts.set_contacts(engine, "PCM", [bad])
        assert field in caught.value.errors
    with pytest.raises(FormInvalid):
        feedback_contacts.set_contacts(engine, "PCM", [person] * 11)
    with pytest.raises(NotFound):
        feedback_contacts.set_contacts(engine, "KHONG_CO", [person])
    feedback_contacts.set_contacts(engine, "PCM", [person, {}, {"name": " ", "phone": ""}])
    listing = feedback_contacts.published_contacts(engine)
    assert [(a.code, [c.name for c in people]) for a, people in listing] == [("PCM", ["Lê Văn C"])]
    feedback_contacts.set_contacts(engine, "PCM", [])
    assert feedback_contacts.published_contacts(engine) == []


def test_a_new_seed_keeps_the_contacts_the_admin_kept(engine):
    # `make run` seeds the demo each time: the registry's list goes in once, then the admin's list stays.
    from engine.demo import load_registry
    from tests.conftest import ROOT

    WORKFLOWS_DIR = ROOT / "workflows"

    with engine.transaction() as s:
        registry = load_registry(s, WORKFLOWS_DIR, engine.now())
    seeded = next(r for r in registry if r.feedback_officials)
    def names(code: str) -> list[str]:
        with engine.Session() as s:
            agency = next(a for a in accounts.list_agencies(s) if a.code == code)
        return [c.name for c in feedback_contacts.contacts_of(agency)]

    assert names(seeded.code) == [f.name for f in seeded.feedback_officials]
    person = {"name": "Lê Văn C", "title": "Chuyên viên", "phone": "0263 3822 999", "email": "c@example.vn"}
    feedback_contacts.set_contacts(engine, seeded.code, [person])
    with engine.transaction() as s:
        load_registry(s, WORKFLOWS_DIR, engine.now())
    assert names(seeded.code) == ["Lê Văn C"]
    feedback_contacts.set_contacts(engine, seeded.code, [])
    with engine.transaction() as s:
        load_registry(s, WORKFLOWS_DIR, engine.now())
    assert names(seeded.code) == []  # an emptied list stays empty too

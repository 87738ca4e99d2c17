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


def test_sample_contacts_are_never_seeded_and_a_new_seed_keeps_the_admins(engine, tmp_path):
    # The shipped registry's addresses, phones and feedback officials are sample data (contacts_confirmed =
    # false): never seeded, so citizens never see them. `make run` seeds each time: what the admin keeps stays.
    import shutil

    from engine.demo import load_registry
    from tests.conftest import ROOT

    def seed(folder) -> list:
        with engine.transaction() as s:
            return load_registry(s, folder, engine.now())

    def agency(code: str):
        with engine.Session() as s:
            return next(a for a in accounts.list_agencies(s) if a.code == code)

    registry = seed(ROOT / "workflows")
    sample = next(r for r in registry if r.feedback_officials and r.phone)
    assert feedback_contacts.published_contacts(engine) == []
    assert (agency(sample.code).phone, agency(sample.code).address) == ("", "")
    person = {"name": "Lê Văn C", "title": "Chuyên viên", "phone": "0263 3822 999", "email": "c@example.vn"}
    feedback_contacts.set_contacts(engine, sample.code, [person])
    seed(ROOT / "workflows")
    assert [c.name for c in feedback_contacts.contacts_of(agency(sample.code))] == ["Lê Văn C"]
    # A province's own registry with confirmed contacts seeds them, once; an emptied list stays empty.
    confirmed = tmp_path / "workflows"
    confirmed.mkdir()
    shutil.copy(ROOT / "workflows" / "units.csv", confirmed / "units.csv")
    text = (ROOT / "workflows" / "agencies.toml").read_text(encoding="utf-8")
    (confirmed / "agencies.toml").write_text(text.replace("contacts_confirmed = false", "contacts_confirmed = true"),
                                             encoding="utf-8")
    other = next(r for r in registry if r.feedback_officials and r.code != sample.code)
    seed(confirmed)
    assert [c.name for c in feedback_contacts.contacts_of(agency(other.code))] == [
        f.name for f in other.feedback_officials]
    assert agency(other.code).phone == other.phone
    assert [c.name for c in feedback_contacts.contacts_of(agency(sample.code))] == ["Lê Văn C"]
    feedback_contacts.set_contacts(engine, other.code, [])
    seed(confirmed)
    assert feedback_contacts.contacts_of(agency(other.code)) == []

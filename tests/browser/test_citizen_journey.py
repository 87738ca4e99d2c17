"""In a real browser, the citizen's whole journey: apply online with two documents, the desk accepts, the
citizen's mailbox (a real SMTP server) gets the receipt e-mail with the code and later the "result ready"
e-mail, the citizen rates the service with the receipt's secret, and the leader's statistics show it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import db, notifications, outbox, worker
from engine.runtime import Engine
from tests.browser.conftest import serving
from tests.browser.test_journey import login, logout
from tests.conftest import DATA, FakeClock, World
from tests.engine.test_applications import METADATA, PDF, PNG
from tests.engine.test_notifications import SmtpServer

pytestmark = pytest.mark.browser

#: Who handles each step of the test diagram, with the values the step needs.
HANDLERS = {"Receive": ("clerk", {"du_giay_to": True}), "Examine": ("officer", {"ket_qua": "dat"}),
            "Opinion_police": ("police", {}), "Opinion_div": ("officer2", {}),
            "Sign": ("leader", {"so_quyet_dinh": "12/QĐ-UBND"}), "Return": ("clerk2", {})}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.up()
    yield server
    server.down()


@pytest.fixture
def server(tmp_path: Path, clock: FakeClock, smtp: SmtpServer) -> Iterator[tuple[str, Engine, World]]:
    """The browser tests' server, on the tests' clock, its notifications sent to the test's SMTP server."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite'}"
    db.upgrade(url)
    engine = Engine(url, clock=clock)
    engine.settings = engine.settings.with_changes(smtp_url=f"smtp://127.0.0.1:{smtp.port}",
                                                   mail_from="motcua@example.vn", public_url="http://dichvucong.test")
    before = outbox.subscribers()
    for name in before:
        outbox.unsubscribe(name)
    notifications.install(engine)
    world = World(engine)
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="three_agencies.bpmn", metadata=METADATA)
    try:
        with serving(engine, url, tmp_path) as base:
            yield base, engine, world
    finally:
        outbox.unsubscribe(notifications.SUBSCRIBER)
        for name, handler in before.items():
            outbox.subscribe(name, handler)
        engine.close()


def handle_every_step(engine: Engine, world: World, code: str) -> None:
    """The officials' part (driven through the pages by test_journey.py): each open step, claimed and done."""
    for _ in range(12):
        open_steps = engine.dossier(code).open_steps
        if not open_steps:
            return
        step = open_steps[0]
        who, data = HANDLERS[step.element_id]
        engine.claim(world[who], step.id)
        engine.complete(world[who], step.id, data)
    raise AssertionError("the dossier did not finish")


def body(message: Any) -> str:
    return str(message.get_payload(decode=True).decode("utf-8"))


def test_a_citizen_applies_online_is_told_by_mail_and_rates_the_service(page: Any, server: tuple[str, Engine, World],
                                                                       clock: FakeClock, smtp: SmtpServer) -> None:
    _, engine, world = server
    # The citizen, without an account, from the procedure's public page.
    page.goto("/thu-tuc/T.000001")
    page.click("#apply-online")
    page.fill("#applicant_name", "Trần Thị Bình")
    page.fill("#applicant_id_number", "079123456789")
    page.fill("#applicant_phone", "0901234567")
    page.fill("#applicant_email", "binh@example.vn")
    page.fill("#applicant_address", "Phan Thiết")
    page.fill("#f-so_ban_sao", "2")
    page.set_input_files("input[name='file-to-khai-de-nghi']",
                         files=[{"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.set_input_files("input[name='file-giay-chung-tu']",
                         files=[{"name": "chung-tu.png", "mimeType": "image/png", "buffer": PNG}])
    clock.advance(minutes=3)  # filling the form in takes a person a while (the page refuses a form sent at once)
    page.click("#apply-submit")
    reference = page.locator("#application-reference").inner_text().strip()
    secret = page.locator("#application-secret").inner_text().strip()
    assert reference and secret

    # The receiving desk sees it in its online queue, with both documents, and accepts it.
    login(page, "clerk")
    page.goto("/desk/applications")
    item = page.locator(f"#application-{reference}")
    assert item.locator("a[href*='/documents/']").count() == 2
    page.click(f"#accept-button-{reference}")
    page.wait_for_selector(".receipt")
    code = page.locator(".dossier-code").inner_text().strip()
    logout(page)

    worker.run_once(engine)
    assert smtp.box.subjects() == [f"Đã tiếp nhận hồ sơ {code}"]
    assert smtp.box.messages[0]["To"] == "binh@example.vn" and code in body(smtp.box.messages[0])

    # The citizen follows the application with its secret: the dossier's code and the receipt's secret.
    page.goto(f"/applications/{reference}")
    page.fill("#secret", secret)
    page.click("#application-open")
    assert page.locator("#application-status").get_attribute("data-status") == "accepted"
    assert page.locator("#application-dossier").inner_text().strip() == code
    receipt_secret = page.locator("#application-dossier-secret").inner_text().strip()

    clock.advance(days=1)
    handle_every_step(engine, world, code)
    worker.run_once(engine)
    assert smtp.box.subjects()[1:] == [f"Hồ sơ {code} đã có kết quả"]
    link = re.search(r"http://dichvucong\.test(/lookup/[^\s\"<>]+/survey)", body(smtp.box.messages[1]))
    assert link, body(smtp.box.messages[1])

    # The citizen rates the service from the e-mail's link, proving it with the receipt's secret.
    page.goto(link.group(1))
    for fieldset in page.locator("form fieldset").all():
        fieldset.locator("input[value='5']").check()
    page.fill("#secret", receipt_secret)
    page.get_by_role("button", name="Gửi đánh giá").click()
    assert "Cảm ơn bạn đã đánh giá" in page.locator("[role=status]").inner_text()

    # The leader's statistics show the online share and the satisfaction.
    login(page, "leader")
    page.goto("/stats?from=2026-03-01&to=2026-03-31")
    assert page.locator("#satisfaction .satisfaction-index").inner_text().strip() == "100,0%"
    assert page.locator(".online-share").first.inner_text().strip() == "100,0%"

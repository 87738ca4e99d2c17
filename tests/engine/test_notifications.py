"""Citizen notifications through the outbox: e-mail to a real SMTP server (aiosmtpd) and SMS to a
local HTTP sink; once per message and channel, retried while the server is down, given up after a
bound and shown per dossier, and still once after the worker is killed with SIGKILL mid-send."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine import models, notifications, outbox, worker
from engine.runtime import Engine
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
APPLICANT = {"name": "Võ Văn Em", "id_number": "079123456783", "email": "em@example.vn", "phone": "0901234567"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler keeping what it accepted; ``stall`` holds a session at RCPT."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.stall = 0.0
        self.at_rcpt = threading.Event()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.at_rcpt.set()
        if self.stall:
            import asyncio

            await asyncio.sleep(self.stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.box = Mailbox()
        self.controller: Controller | None = None

    def up(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.up()
    yield server
    server.down()


@pytest.fixture
def sms() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length", "0")), 10_000)
            received.append(json.loads(self.rfile.read(length)) | {"key": self.headers["Idempotency-Key"]})
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def notify(engine: Engine, smtp: SmtpServer, sms: Any) -> Iterator[Engine]:
    before = outbox.subscribers()
    for name in before:
        outbox.unsubscribe(name)
    engine.settings = engine.settings.with_changes(
        smtp_url=f"smtp://127.0.0.1:{smtp.port}", mail_from="motcua@example.vn", sms_url=sms[0],
        public_url="https://dichvucong.example.vn", outbox_retry_seconds=10.0, outbox_max_attempts=3)
    notifications.install(engine)
    yield engine
    outbox.unsubscribe(notifications.SUBSCRIBER)
    for name, handler in before.items():
        outbox.subscribe(name, handler)


def notices(engine: Engine) -> list[tuple[str, str, str, int]]:
    with engine.Session() as s:
        return [(n.kind, n.channel, n.status, n.attempts)
                for n in s.scalars(select(models.CitizenNotice).order_by(models.CitizenNotice.id))]


def finish(engine: Engine, world: World, code_steps: Any) -> Any:
    d = code_steps
    for who, data in [("clerk", {"du_giay_to": True}), ("officer", {"ket_qua": "dat"}), ("police", {}),
                      ("officer2", {}), ("leader", {"so_quyet_dinh": "1/QĐ"}), ("clerk2", {})]:
        step = next(s for s in d.open_steps if s.agency_code == world[who].agency_code)
        engine.claim(world[who], step.id)
        d = engine.complete(world[who], step.id, data)
    return d


def test_reception_and_result_by_mail_and_sms_once(notify: Engine, world: World, deployed: str, smtp, sms, clock):
    engine = notify
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    worker.run_once(engine)
    assert smtp.box.subjects() == [f"Đã tiếp nhận hồ sơ {d.code}"]
    body = smtp.box.messages[0].get_payload(decode=True).decode()
    assert "09/03/2026" in body or d.code in body
    assert f"https://dichvucong.example.vn/tra-cuu?code={d.code}" in body
    assert smtp.box.messages[0]["To"] == APPLICANT["email"]
    assert [(m["to"], d.code in m["text"]) for m in sms[1]] == [(APPLICANT["phone"], True)], notices(engine)
    worker.run_once(engine)
    worker.run_once(engine)
    assert len(smtp.box.messages) == 1 and len(sms[1]) == 1  # never twice
    finish(engine, world, d)
    worker.run_once(engine)
    assert smtp.box.subjects()[1:] == [f"Hồ sơ {d.code} đã có kết quả"]
    assert f"/lookup/{d.code}/survey" in smtp.box.messages[1].get_payload(decode=True).decode()
    assert notices(engine) == [("reception", "email", "sent", 1), ("reception", "sms", "sent", 1),
                               ("result", "email", "sent", 1), ("result", "sms", "sent", 1)]
    with engine.Session() as s:
        shown = notifications.for_dossier(s, s.scalar(select(models.Dossier.id)))
    assert [(n.kind, n.channel, n.status) for n in shown][:2] == [("reception", "email", "sent"),
                                                                   ("reception", "sms", "sent")]


def test_server_down_then_up_is_retried_with_backoff(notify: Engine, world: World, deployed: str, smtp, sms,
                                                      clock):
    engine = notify
    smtp.down()
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    report = worker.run_once(engine)
    assert report.outbox_retried == 1
    assert notices(engine) == [("reception", "email", "pending", 1), ("reception", "sms", "sent", 1)]
    with engine.Session() as s:
        error = s.scalar(select(models.CitizenNotice.last_error).where(models.CitizenNotice.channel == "email"))
    assert error.startswith("email: ") and APPLICANT["email"] not in error
    smtp.up()
    clock.advance(seconds=5)
    worker.run_once(engine)  # not before its delay (10 s)
    assert smtp.box.messages == []
    clock.advance(seconds=6)
    worker.run_once(engine)
    assert smtp.box.subjects() == [f"Đã tiếp nhận hồ sơ {d.code}"]
    assert len(sms[1]) == 1  # the SMS already sent is not sent again with the retry
    assert notices(engine) == [("reception", "email", "sent", 2), ("reception", "sms", "sent", 1)]


def test_given_up_after_the_bound_and_shown(notify: Engine, world: World, deployed: str, smtp, clock):
    engine = notify
    smtp.down()
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    for _ in range(5):
        worker.run_once(engine)
        clock.advance(minutes=5)
    assert notices(engine)[0] == ("reception", "email", "failed", 3)


def test_every_kind_has_templates_and_an_edit_replaces_the_file(engine: Engine):
    for name in notifications.template_names():
        assert notifications.default_template(name).strip()
    with engine.transaction() as s:
        notifications.save_template(s, "reception.sms", "Hồ sơ {{ code }} đã nhận", engine.now())
    with engine.Session() as s:
        assert notifications.render(s, "reception", "sms", notifications.SAMPLE)[1] == \
            f"Hồ sơ {notifications.SAMPLE['code']} đã nhận"
    from engine.errors import InvalidInput

    for bad in ("{{ code ", "{{ nope }}", "{{ ''.__class__.__mro__ }}"):
        with pytest.raises(InvalidInput), engine.transaction() as s:
            notifications.save_template(s, "reception.sms", bad, engine.now())


def _worker(db_url: str, smtp: SmtpServer, sms_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url,
           "LIENTHONG_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "LIENTHONG_MAIL_FROM": "motcua@example.vn",
           "LIENTHONG_SMS_URL": sms_url, "LIENTHONG_OUTBOX_RETRY_SECONDS": "0.5",
           "LIENTHONG_PASSWORD_HASHING": "minimal"}
    return subprocess.Popen([sys.executable, "-c", "from engine.cli import run; run()", "worker", "--once"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_send_delivers_everything_once_after_restart(engine: Engine, world: World,
                                                                          deployed: str, db_url: str, smtp, sms):
    codes = [engine.start_dossier(world["clerk"], deployed, APPLICANT).code for _ in range(3)]
    smtp.box.stall = 3.0  # the first session hangs at RCPT: the worker is in the middle of sending
    child = _worker(db_url, smtp, sms[0])
    assert smtp.box.at_rcpt.wait(60), "the worker never reached the mail server"
    child.send_signal(signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL
    smtp.box.stall = 0.0
    time.sleep(1.5)  # the killed attempt's lease (0.5 s × 2) runs out
    restarted = _worker(db_url, smtp, sms[0])
    assert restarted.wait(120) == 0
    time.sleep(3.5)  # the stalled session of the killed worker ends without a message
    assert sorted(smtp.box.subjects()) == sorted(f"Đã tiếp nhận hồ sơ {c}" for c in codes)
    assert len(set(smtp.box.ids())) == len(smtp.box.ids()) == 3
    assert sorted(m["key"] for m in sms[1]) == sorted({m["key"] for m in sms[1]}) and len(sms[1]) == 3
    assert {(kind, channel, status) for kind, channel, status, _ in notices(engine)} == {
        ("reception", "email", "sent"), ("reception", "sms", "sent")}

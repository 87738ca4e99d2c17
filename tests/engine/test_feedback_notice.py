"""The answer to a citizen's feedback reaches its contact through the outbox: an e-mail when the contact is
an address, an SMS when it is a phone number, once; nothing for feedback still unanswered."""

from __future__ import annotations

from engine import feedback, worker
from engine.runtime import Engine
from tests.conftest import World
from tests.engine.test_notifications import notices, notify, sms, smtp  # noqa: F401 (fixtures)

TEXT = "Hướng dẫn tại Bộ phận Một cửa chưa rõ ràng, xin được giải thích thêm."


def test_the_answer_is_sent_to_the_contact_once(notify: Engine, world: World, deployed: str, smtp, sms):  # noqa: F811
    engine = notify
    by_mail = feedback.submit(engine, {"procedure": deployed, "name": "An", "contact": "an@example.vn", "text": TEXT})
    by_phone = feedback.submit(engine, {"procedure": deployed, "name": "Bình", "contact": "0912 345 678",
                                        "text": TEXT})
    silent = feedback.submit(engine, {"procedure": deployed, "name": "Chi", "text": TEXT})
    worker.run_once(engine)
    assert smtp.box.messages == [] and sms[1] == []  # received: nothing to tell yet
    for receipt in (by_mail, by_phone, silent):
        feedback.answer(engine, world["clerk"], receipt.reference, "Đã giải thích tại trang thủ tục.")
    worker.run_once(engine)
    worker.run_once(engine)
    [subject] = smtp.box.subjects()  # (decoding the header may drop the space after the reference)
    assert subject.startswith(f"Phản ánh, kiến nghị {by_mail.reference}") and subject.endswith("đã được trả lời")
    assert smtp.box.messages[0]["To"] == "an@example.vn"
    body = smtp.box.messages[0].get_payload(decode=True).decode()
    assert f"https://dichvucong.example.vn/pakn/theo-doi?reference={by_mail.reference}" in body
    assert by_mail.secret not in body  # the secret never travels
    assert [(m["to"], by_phone.reference in m["text"]) for m in sms[1]] == [("0912 345 678", True)]
    assert notices(engine) == [("feedback", "email", "sent", 1), ("feedback", "sms", "sent", 1)]

"""The SMTP server refuses every mail for a while, then takes them again: each goes out once.

Real `certmatch worker` and `certmatch cron` processes; the SMTP server is a real one (aiosmtpd)
answering "451 try again later" to every recipient until the test lets it accept. One address
it refuses for good: that mail, written longer ago than MAIL_RETRY_HOURS, ends `failed` and an
admin sees it in /admin/mail.
"""

import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select, update

from matcher.embedded_redis import free_port
from matcher.models import OutboxMessage, OutboxStatus, QuoteRequest, utcnow
from matcher.outbox import queue_mail
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.factories import request_form
from tests.faults.processes import wait_until
from tests.lead_helpers import cbs, request_path
from tests.page_helpers import csrf_token, submit

pytestmark = pytest.mark.slow

DOOMED = "gone@unreachable.example"
OUTAGE_SECONDS = 6


class FlakySMTP:
    """A real SMTP server that refuses every recipient while `refusing`, and DOOMED always."""

    def __init__(self):
        self.refusing = True
        self.refused = 0
        self.messages = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refusing or address == DOOMED:
            self.refused += 1
            return "451 4.3.2 System not accepting network messages"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  aiosmtpd hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def flaky_smtp():
    server = FlakySMTP()
    server.controller.start()
    yield server
    server.controller.stop()


def _outbox(db) -> list[OutboxMessage]:
    db.rollback()
    rows = list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
    db.rollback()
    return rows


def _confirm(app, client, db, email: str) -> None:
    db.rollback()
    quote_request = db.exec(select(QuoteRequest).where(QuoteRequest.email == email)).one()
    db.rollback()
    link = request_path(app, quote_request)
    assert client.post(link, data={"csrf_token": csrf_token(client, link)}).status_code == 303


def test_mail_refused_for_a_while_goes_out_once_when_smtp_is_back_and_the_hopeless_one_fails(
    fault_app, client, db, processes, flaky_smtp
):
    app = fault_app
    cbs(db, 3, monthly_cap=100)
    doomed = queue_mail(
        db,
        template="account_password_reset",
        to=DOOMED,
        subject="Reset your password",
        context={"link": "http://certmatch.test/reset", "minutes": 60},
    )
    db.commit()
    # Written a day and more ago: past MAIL_RETRY_HOURS, its next refusal is its last.
    db.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == doomed.id)
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db.commit()
    emails = [f"owner{n}@firm{n}.example" for n in range(4)]
    for email in emails:
        assert submit(client, "/quote", request_form(email=email)).status_code == 303
    for email in emails[:2]:
        _confirm(app, client, db, email)

    env = {"SMTP_PORT": str(flaky_smtp.controller.port)}
    processes.certmatch("worker", **env)
    processes.certmatch("cron", **env)
    assert wait_until(lambda: flaky_smtp.refused >= 4, timeout=60), processes.log("worker")
    time.sleep(OUTAGE_SECONDS)
    flaky_smtp.refusing = False
    for email in emails[2:]:  # new work once it is back goes straight out
        _confirm(app, client, db, email)

    def all_but_the_doomed_delivered() -> bool:
        rows = _outbox(db)
        delivered = {m["Message-ID"] for m in flaky_smtp.messages}
        return all(r.message_id in delivered for r in rows if r.to_email != DOOMED)

    # A refused mail is tried again a minute after its attempt (workers/mail.py FIRST_RETRY).
    assert wait_until(all_but_the_doomed_delivered, timeout=150, interval=1), (
        [(r.id, r.to_email, r.status, r.attempts) for r in _outbox(db)],
        processes.log("worker"),
    )
    time.sleep(3)  # a second copy would show now

    rows = _outbox(db)
    copies = Counter(m["Message-ID"] for m in flaky_smtp.messages)
    assert set(copies.values()) == {1}, "a mail went out twice"
    assert len(copies) == len(rows) - 1
    assert {r.status for r in rows if r.to_email != DOOMED} == {OutboxStatus.SENT}
    assert max(r.attempts for r in rows) >= 2, "some mail was refused, then sent"
    (hopeless,) = [r for r in rows if r.to_email == DOOMED]
    assert hopeless.status == OutboxStatus.FAILED and hopeless.last_error

    login(client, make_admin(db).email, ADMIN_PASSWORD)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert DOOMED in page and "1 failed" in page

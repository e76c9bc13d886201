"""Mail outlives an SMTP outage: retried with a growing wait for MAIL_RETRY_HOURS, then failed."""

from datetime import timedelta
from itertools import pairwise

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from matcher.embedded_redis import free_port
from matcher.models import OutboxMessage, OutboxStatus, utcnow
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.burst_worker import drain
from tests.factories import request_form
from tests.page_helpers import csrf_token, submit
from workers import mail as mail_job
from workers import outbox as outbox_job
from workers.outbox import sweep_outbox

ADDRESSES = [f"buyer{n}@acme{n}.example" for n in range(3)]
# The cron sweeper's default interval.
TICK = timedelta(seconds=30)


@pytest.fixture
def jobs(app):
    return lambda: drain(app)


class Clock:
    """The time the mail worker and the sweeper see; a test moves it on."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(mail_job, "utcnow", clock)
    monkeypatch.setattr(outbox_job, "utcnow", clock)
    return clock


class RefusingSMTP:
    """An SMTP server that answers every recipient "451 try again later", as one in trouble."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return "451 4.3.2 System not accepting network messages"


@pytest.fixture
def refusing_smtp():
    controller = Controller(RefusingSMTP(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port
    controller.stop()


def _rows(db) -> list[OutboxMessage]:
    db.expire_all()
    rows = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    db.rollback()
    return list(rows)


def _tick(app, jobs, clock: Clock, delta: timedelta = TICK) -> None:
    """Let `delta` pass, then run the sweeper and whatever it queued, as cron and a worker do."""
    clock.advance(delta)
    with app.app_context():
        queued = sweep_outbox()["queued"]
    if queued:
        jobs()


def test_mail_is_retried_through_a_long_smtp_outage_and_each_goes_out_once_after_it(
    app, client, db, jobs, smtp_sink, clock, refusing_smtp
):
    app.config["SMTP_PORT"] = refusing_smtp
    for address in ADDRESSES:
        submit(client, "/quote", request_form(email=address))
    jobs()
    # Twelve minutes down: far past the old six attempts about a minute apart.
    for _ in range(24):
        _tick(app, jobs, clock)
    rows = _rows(db)
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    # Tried at 0 and after waits of 1, 2 and 4 minutes (the next only after 8 more).
    assert [r.attempts for r in rows] == [4, 4, 4]
    assert all(r.last_error.startswith("SMTPRecipientsRefused") for r in rows)
    assert smtp_sink.messages == []

    app.config["SMTP_PORT"] = smtp_sink.port
    for _ in range(20):
        _tick(app, jobs, clock)
    assert sorted(m["To"] for m in smtp_sink.wait_for(3)) == ADDRESSES
    assert len(smtp_sink.messages) == 3
    assert {(r.status, r.attempts) for r in _rows(db)} == {(OutboxStatus.SENT, 5)}


def test_the_wait_between_tries_doubles_up_to_an_hour(app, client, db, jobs, clock):
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    submit(client, "/quote", request_form())
    jobs()
    tried_at = [clock.now]
    for _ in range(400):  # 200 minutes of sweeps
        _tick(app, jobs, clock)
        (row,) = _rows(db)
        if row.attempts > len(tried_at):
            tried_at.append(clock.now)
    waits = [(later - earlier) / timedelta(minutes=1) for earlier, later in pairwise(tried_at)]
    # 1, 2, 4 ... minutes after each try, at most an hour, seen by a sweeper every 30 seconds.
    assert waits == [1.5, 2.5, 4.5, 8.5, 16.5, 32.5, 60.5, 60.5]
    assert row.status == OutboxStatus.PENDING


def test_mail_still_refused_after_mail_retry_hours_ends_failed_and_an_admin_resend_sends_it(
    app, client, db, jobs, smtp_sink, clock, refusing_smtp
):
    app.config["MAIL_RETRY_HOURS"] = 3
    app.config["SMTP_PORT"] = refusing_smtp
    window_ends = clock.now + timedelta(hours=3)
    submit(client, "/quote", request_form(email="late@acme.example"))
    jobs()
    while clock.now + timedelta(minutes=20) < window_ends:
        _tick(app, jobs, clock, timedelta(minutes=20))
        assert _rows(db)[0].status == OutboxStatus.PENDING
    for _ in range(6):  # the next try after the window closes is the last
        _tick(app, jobs, clock, timedelta(minutes=20))
    (row,) = _rows(db)
    assert row.status == OutboxStatus.FAILED
    attempts = row.attempts
    _tick(app, jobs, clock, timedelta(hours=2))
    assert _rows(db)[0].attempts == attempts  # given up: the sweeper leaves it alone

    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "late@acme.example" in page and "1 failed" in page
    app.config["SMTP_PORT"] = smtp_sink.port
    token = csrf_token(client, "/admin/mail")
    assert (
        client.post(f"/admin/mail/{row.id}/resend", data={"csrf_token": token}).status_code == 303
    )
    jobs()
    assert [m["To"] for m in smtp_sink.wait_for(1)] == ["late@acme.example"]
    assert _rows(db)[0].status == OutboxStatus.SENT

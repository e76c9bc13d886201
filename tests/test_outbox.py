"""Outbox mail: sent once, held without SMTP, retried after failures, swept after outages."""

import smtplib
import threading
from datetime import timedelta

from sqlmodel import select, update

from matcher.models import OutboxMessage, utcnow
from tests.factories import request_form
from tests.page_helpers import submit
from workers import mail as mail_job
from workers.mail import send_mail
from workers.outbox import sweep_outbox


def _only_message(db) -> OutboxMessage:
    db.expire_all()
    message = db.exec(select(OutboxMessage)).one()
    db.rollback()
    return message


def test_the_same_outbox_job_run_twice_sends_one_mail(app, client, db, smtp_sink):
    submit(client, "/quote", request_form())
    message_id = _only_message(db).id
    with app.app_context():
        assert send_mail(message_id) == "sent"
        assert send_mail(message_id) == "skipped"
    assert len(smtp_sink.wait_for(1)) == 1
    assert len(smtp_sink.messages) == 1
    row = _only_message(db)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


def test_the_mail_carries_the_rows_stable_message_id_and_both_bodies(
    app, client, db, jobs, smtp_sink
):
    submit(client, "/quote", request_form())
    jobs()
    (received,) = smtp_sink.wait_for(1)
    assert received["Message-ID"] == _only_message(db).message_id
    assert received.get_body(("plain",)) is not None
    assert received.get_body(("html",)) is not None


def test_without_smtp_host_mail_stays_in_the_outbox_and_shows_at_dev_mail(
    app, client, db, jobs, smtp_sink
):
    app.config["SMTP_HOST"] = None
    submit(client, "/quote", request_form())
    jobs()
    assert smtp_sink.messages == []
    assert _only_message(db).status == "held"
    assert client.get("/dev/mail").status_code == 404  # demo mode only
    app.config["CERTMATCH_DEMO"] = True
    page = client.get("/dev/mail").get_data(as_text=True)
    assert "Confirm your CertMatch request" in page


def test_a_failed_delivery_is_retried_by_the_sweeper(app, client, db, jobs, smtp_sink):
    real_port = app.config["SMTP_PORT"]
    from matcher.embedded_redis import free_port

    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    submit(client, "/quote", request_form())
    jobs()
    failed = _only_message(db)
    # Pending, not failed: tried again after its wait, for MAIL_RETRY_HOURS.
    assert failed.status == "pending" and failed.attempts == 1 and failed.last_error
    assert smtp_sink.messages == []

    app.config["SMTP_PORT"] = real_port
    _age_outbox(db, minutes=5)
    with app.app_context():
        assert sweep_outbox()["mail"] == 1
    jobs()
    assert len(smtp_sink.wait_for(1)) == 1
    assert _only_message(db).status == "sent"


def test_the_sweeper_leaves_fresh_rows_alone(app, client, db):
    submit(client, "/quote", request_form())
    with app.app_context():
        assert sweep_outbox() == {"mail": 0, "jobs": 0, "queued": 0}


def test_a_row_claimed_by_a_dead_worker_is_sent_again(app, client, db, jobs, smtp_sink):
    submit(client, "/quote", request_form())
    message = _only_message(db)
    db.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status="sending", enqueued_at=utcnow() - timedelta(minutes=10))
    )
    db.commit()
    _age_outbox(db, minutes=10, keep_enqueued=True)
    with app.app_context():
        sweep_outbox()
    jobs()
    assert len(smtp_sink.wait_for(1)) == 1


def _age_outbox(db, *, minutes: int, keep_enqueued: bool = False) -> None:
    past = utcnow() - timedelta(minutes=minutes)
    values = {"created_at": past} if keep_enqueued else {"created_at": past, "enqueued_at": past}
    db.exec(update(OutboxMessage).values(**values))
    db.commit()


def _outlive_the_claim(app, monkeypatch) -> None:
    """Let the sweeper find this worker's claim stale at once, as after a send of 5+ minutes."""
    monkeypatch.setattr(mail_job, "STALE_CLAIM", timedelta(0))
    with app.app_context():
        sweep_outbox()


def test_a_send_that_outlives_its_claim_leaves_the_newer_claims_result_alone(
    app, client, db, smtp_sink, monkeypatch
):
    submit(client, "/quote", request_form())
    message_id = _only_message(db).id
    deliver = mail_job.deliver
    second_sending, release = threading.Event(), threading.Event()
    outcomes = {}

    def second_worker():
        with app.app_context():
            outcomes["second"] = send_mail(message_id)

    def slow_then_refused(message):
        if threading.current_thread() is not threading.main_thread():
            second_sending.set()
            assert release.wait(15)
            return deliver(message)
        # The first worker's server hangs past STALE_CLAIM; the sweeper hands the row over.
        _outlive_the_claim(app, monkeypatch)
        thread = threading.Thread(target=second_worker)
        thread.start()
        outcomes["thread"] = thread
        assert second_sending.wait(15)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out")

    monkeypatch.setattr(mail_job, "deliver", slow_then_refused)
    try:
        with app.app_context():
            outcomes["first"] = send_mail(message_id)
    finally:
        release.set()
        outcomes["thread"].join(15)

    assert (outcomes["first"], outcomes["second"]) == ("reclaimed", "sent")
    assert len(smtp_sink.wait_for(1)) == 1
    row = _only_message(db)
    assert (row.status, row.last_error, row.attempts) == ("sent", None, 2)


def test_a_late_send_nobody_reclaimed_yet_is_recorded_and_never_sent_again(
    app, client, db, smtp_sink, monkeypatch
):
    submit(client, "/quote", request_form())
    message_id = _only_message(db).id
    deliver = mail_job.deliver

    def slow(message):
        _outlive_the_claim(app, monkeypatch)  # put back to pending; no worker took it yet
        deliver(message)

    monkeypatch.setattr(mail_job, "deliver", slow)
    with app.app_context():
        assert send_mail(message_id) == "sent"
        monkeypatch.undo()
        assert send_mail(message_id) == "skipped"
    assert len(smtp_sink.wait_for(1)) == 1
    row = _only_message(db)
    assert (row.status, row.attempts) == ("sent", 1)

"""A mail the SMTP server took is recorded as sent though the database dropped for a moment.

Otherwise the job fails with the row still `sending` and the sweeper mails a second copy.
"""

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from matcher.models import OutboxMessage
from tests.factories import request_form
from tests.page_helpers import submit
from workers import mail as mail_job
from workers.mail import send_mail


def _lost_connection() -> OperationalError:
    return OperationalError(
        "UPDATE outbox_message", {}, Exception("server closed"), connection_invalidated=True
    )


def _finish_failing(times: int, error):
    real, calls = mail_job._finish, []

    def finish(*args, **kwargs):
        calls.append(kwargs.get("status"))
        if len(calls) <= times:
            raise error()
        return real(*args, **kwargs)

    return finish, calls


def _the_mail(db) -> OutboxMessage:
    db.expire_all()
    message = db.exec(select(OutboxMessage)).one()
    db.rollback()
    return message


def test_a_delivered_mail_is_marked_sent_once_the_database_answers_again(
    app, client, db, smtp_sink, monkeypatch
):
    submit(client, "/quote", request_form())
    message_id = _the_mail(db).id
    finish, calls = _finish_failing(2, _lost_connection)
    monkeypatch.setattr(mail_job, "_finish", finish)
    monkeypatch.setattr(mail_job.time, "sleep", lambda seconds: None)
    with app.app_context():
        assert send_mail(message_id) == "sent"
    assert len(smtp_sink.wait_for(1)) == 1
    assert len(calls) == 3
    assert _the_mail(db).status == "sent"


def test_an_error_that_is_not_a_lost_connection_is_not_retried(
    app, client, db, smtp_sink, monkeypatch
):
    submit(client, "/quote", request_form())
    message_id = _the_mail(db).id

    def deadlock() -> OperationalError:
        return OperationalError("UPDATE outbox_message", {}, Exception("deadlock"))

    finish, calls = _finish_failing(1, deadlock)
    monkeypatch.setattr(mail_job, "_finish", finish)
    with app.app_context(), pytest.raises(OperationalError):
        send_mail(message_id)
    assert len(calls) == 1

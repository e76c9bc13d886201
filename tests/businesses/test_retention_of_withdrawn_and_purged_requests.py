"""Retention follow-ups: a request withdrawn before it was confirmed, the unconfirmed period
against DATA_RETENTION_DAYS, number settings, mail a worker holds when the purge runs, a lead
of a purged request, and the admin's Resend button on purged mail."""

import re
import smtplib
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from matcher.businesses import retention
from matcher.config import ConfigError, load_config
from matcher.models import (
    LeadOffer,
    OfferStatus,
    OutboxJob,
    OutboxMessage,
    OutboxStatus,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from matcher.outbox import queue_mail
from matcher.quotes import answers, decisions
from matcher.quotes.errors import QuoteError
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.factories import make_request
from tests.lead_helpers import act, cb_figures, cbs, fresh, mails, matched_request, request_path
from workers import mail as mail_job
from workers.outbox import sweep_outbox

NOW = utcnow().replace(microsecond=0)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
BUSINESS = "quentin@zebulon.example"
PURGED = {**retention.PURGED_VALUES, "purged_at": NOW}


def _due(db, now) -> list[int]:
    db.rollback()
    return retention.requests_due_purge(db, now=now)


def _due_both_ways(db, request_id: int, now) -> bool:
    """Whether the SQL query and is_due agree that a request is due; fails when they differ."""
    in_sql = request_id in _due(db, now)
    in_python = retention.is_due(
        db.get(QuoteRequest, request_id), now=now, days=retention.retention_days()
    )
    assert in_sql == in_python
    return in_sql


# ---------------------------------------------------------------- withdrawn before confirming


def test_a_request_withdrawn_before_confirmation_keeps_its_data_30_days_from_the_form(
    app, db, client
):
    made = NOW - 10 * DAY
    unconfirmed = make_request(db, created_at=made, email=BUSINESS)
    confirmed = make_request(db, status=RequestStatus.CONFIRMED, created_at=made, confirmed_at=made)
    path = request_path(app, unconfirmed)
    token = csrf_token(client, path)
    assert client.post(f"{path}/withdraw", data={"csrf_token": token}).status_code == 303
    act(app, decisions.withdraw_request, request_id=confirmed.id, now=utcnow())

    month_after_form = made + timedelta(days=retention.UNCONFIRMED_DAYS)
    assert not _due_both_ways(db, unconfirmed.id, month_after_form - SECOND)
    assert _due_both_ways(db, unconfirmed.id, month_after_form)
    # A confirmed request runs its full period from the withdrawal.
    assert not _due_both_ways(db, confirmed.id, month_after_form + 300 * DAY)

    assert act(app, retention.purge_request, request_id=unconfirmed.id, now=month_after_form)
    page = client.get(path)
    assert page.status_code == 410
    assert "never confirmed, so its details were deleted after 30 days" in page.get_data(
        as_text=True
    )


def test_withdrawing_an_unconfirmed_request_tells_nobody_and_a_later_confirm_is_refused(
    app, db, client, jobs
):
    cbs(db, 3)
    pending = make_request(db, email=BUSINESS)
    path = request_path(app, pending)
    token = csrf_token(client, path)

    assert client.post(f"{path}/withdraw", data={"csrf_token": token}).status_code == 303
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    jobs()

    request = fresh(db, QuoteRequest, pending.id)
    assert (request.status, request.confirmed_at) == (RequestStatus.WITHDRAWN, None)
    assert request.closed_at is not None
    db.rollback()
    assert db.exec(select(OutboxJob.id)).all() == []
    assert db.exec(select(LeadOffer.id)).all() == []
    assert mails(db) == []


# ---------------------------------------------------------------- the configuration


def test_the_unconfirmed_period_never_exceeds_data_retention_days(app, db, client):
    app.config["DATA_RETENTION_DAYS"] = 10
    pending = make_request(db, created_at=NOW - 10 * DAY)
    withdrawn = make_request(
        db, status=RequestStatus.WITHDRAWN, created_at=NOW - 10 * DAY, closed_at=NOW - DAY
    )
    recent = make_request(db, created_at=NOW - 10 * DAY + SECOND)

    assert _due(db, NOW) == [pending.id, withdrawn.id]
    assert not _due_both_ways(db, recent.id, NOW)
    assert retention.unconfirmed_days() == 10

    act(app, retention.purge_request, request_id=pending.id, now=NOW)
    page = client.get(request_path(app, pending)).get_data(as_text=True)
    assert "never confirmed, so its details were deleted after 10 days" in page


NUMBER_SETTINGS = [
    "DATA_RETENTION_DAYS",
    "RESPONSE_WINDOW_HOURS",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "OUTBOX_SWEEP_AFTER_SECONDS",
    "OUTBOX_SWEEP_INTERVAL_SECONDS",
    "LIFECYCLE_INTERVAL_SECONDS",
    "MAIL_RETRY_HOURS",
]


@pytest.fixture
def environment(monkeypatch):
    """An environment load_config accepts, with no number setting of the test run's own."""
    monkeypatch.setenv("CERTMATCH_TESTING", "1")
    for name in NUMBER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("name", NUMBER_SETTINGS)
@pytest.mark.parametrize("value", ["a year", "0", "-30", "nan"])
def test_a_number_setting_that_is_not_a_positive_number_stops_the_start_up_by_name(
    environment, tmp_path, name, value
):
    if value == "nan" and name != "SMTP_TIMEOUT":
        value = "36.5"  # a fraction where a whole number is due
    environment.setenv(name, value)

    with pytest.raises(ConfigError, match=rf"^{name} must be .*{re.escape(repr(value))}$"):
        load_config(str(tmp_path))


# What each number setting may be at most, and a value just past it.
NUMBER_MAXIMUMS = {
    "DATA_RETENTION_DAYS": ("36500", "36501"),
    "RESPONSE_WINDOW_HOURS": ("720", "721"),
    "SMTP_PORT": ("65535", "65536"),
    "SMTP_TIMEOUT": ("600", "600.5"),
    "OUTBOX_SWEEP_AFTER_SECONDS": ("86400", "86401"),
    "OUTBOX_SWEEP_INTERVAL_SECONDS": ("3600", "3601"),
    "LIFECYCLE_INTERVAL_SECONDS": ("3600", "3601"),
    "MAIL_RETRY_HOURS": ("720", "721"),
}


@pytest.mark.parametrize("name", NUMBER_SETTINGS)
def test_a_number_setting_past_its_maximum_stops_the_start_up_by_name(environment, tmp_path, name):
    highest, too_high = NUMBER_MAXIMUMS[name]
    environment.setenv(name, highest)
    assert load_config(str(tmp_path))[name] == float(highest)

    values = [too_high, "1000000000", "9" * 40]
    if name == "SMTP_TIMEOUT":
        values += ["inf", "1e400"]  # both read as infinity
    for value in values:
        environment.setenv(name, value)
        with pytest.raises(ConfigError, match=rf"^{name} must be at most {highest}, not "):
            load_config(str(tmp_path))


def test_the_largest_retention_the_settings_allow_still_purges(app, db):
    """Past 999,999,999 days the purge's timedelta overflowed; the maximum stays far below."""
    closed = make_request(
        db, status=RequestStatus.CLOSED, confirmed_at=NOW - 500 * DAY, closed_at=NOW - 400 * DAY
    )
    assert _due(db, NOW) == [closed.id]

    app.config["DATA_RETENTION_DAYS"] = 36_500
    assert _due(db, NOW) == []
    assert not retention.is_due(closed, now=NOW, days=retention.retention_days())


def test_number_settings_are_read_and_default_when_unset(environment, tmp_path):
    assert load_config(str(tmp_path))["DATA_RETENTION_DAYS"] == 365
    environment.setenv("DATA_RETENTION_DAYS", " 90 ")
    environment.setenv("SMTP_TIMEOUT", "2.5")
    config = load_config(str(tmp_path))
    assert (config["DATA_RETENTION_DAYS"], config["SMTP_TIMEOUT"]) == (90, 2.5)


# ---------------------------------------------------------------- mail held by a worker


def _mail_due_purge(db) -> tuple[int, int]:
    """A never-confirmed request past its month and its unsent mail; (request, mail) ids."""
    db.rollback()
    pending = make_request(db, created_at=NOW - 40 * DAY, email=BUSINESS)
    message = queue_mail(
        db, template="confirm_request", to=BUSINESS, subject="Confirm your request",
        context={"req": pending, "standards": [], "link": "x"}, request_id=pending.id,
    )  # fmt: skip
    db.commit()
    return pending.id, message.id


def _purge(app, request_id: int) -> None:
    assert act(app, retention.purge_request, request_id=request_id, now=NOW)


@pytest.mark.parametrize("when", ["before_loading", "while_delivering", "while_failing"])
def test_mail_purged_while_a_worker_holds_it_stays_purged_and_never_leaves_again(
    app, db, smtp_sink, monkeypatch, when
):
    request_id, message_id = _mail_due_purge(db)
    claim, deliver = mail_job._claim, mail_job.deliver

    def claim_then_purged(claimed_id):
        won = claim(claimed_id)
        _purge(app, request_id)
        return won

    def deliver_while_purged(message):
        _purge(app, request_id)
        if when == "while_failing":
            # The server's refusal quotes the address, as real ones do.
            raise smtplib.SMTPRecipientsRefused({BUSINESS: (550, f"<{BUSINESS}> unknown")})
        deliver(message)

    if when == "before_loading":
        monkeypatch.setattr(mail_job, "_claim", claim_then_purged)
    else:
        monkeypatch.setattr(mail_job, "deliver", deliver_while_purged)

    with app.app_context():
        outcome = mail_job.send_mail(message_id)

    assert outcome == ("sent" if when == "while_delivering" else "purged")
    assert len(smtp_sink.messages) == (1 if when == "while_delivering" else 0)
    row = fresh(db, OutboxMessage, message_id)
    assert (row.status, row.last_error, row.to_email) == (retention.MAIL_PURGED, None, "")
    assert BUSINESS not in repr(row.model_dump())
    # Long after, neither the sweeper nor a worker running the job again sends it.
    monkeypatch.undo()
    past = utcnow() - timedelta(hours=1)
    db.exec(update(OutboxMessage).values(created_at=past, enqueued_at=past))
    db.commit()
    with app.app_context():
        assert sweep_outbox()["mail"] == 0
        assert mail_job.send_mail(message_id) == "skipped"
    assert fresh(db, OutboxMessage, message_id).status == retention.MAIL_PURGED


def test_a_failed_delivery_of_live_mail_is_still_recorded_for_the_sweeper(app, db, monkeypatch):
    _, message_id = _mail_due_purge(db)

    def refused(message):
        raise smtplib.SMTPRecipientsRefused({BUSINESS: (550, "unknown")})

    monkeypatch.setattr(mail_job, "deliver", refused)
    with app.app_context(), pytest.raises(smtplib.SMTPRecipientsRefused):
        mail_job.send_mail(message_id)

    row = fresh(db, OutboxMessage, message_id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error.startswith("SMTPRecipientsRefused")


# ---------------------------------------------------------------- a lead of a purged request


def test_a_provider_cannot_answer_a_lead_of_a_purged_request(app, db):
    # What only a race could leave: the request purged while its lead is still open.
    quote_request, (offer,) = matched_request(db, cbs(db, 1), **PURGED)
    answer = {"offer_id": offer.id, "provider_id": offer.provider_id, "now": utcnow()}

    with pytest.raises(QuoteError) as quoted:
        act(app, answers.submit_quote, figures=cb_figures(), **answer)
    with pytest.raises(QuoteError) as declined:
        act(app, answers.decline_offer, reason="other", **answer)

    assert quoted.value.code == declined.value.code == "purged"
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED
    assert mails(db) == []


# ---------------------------------------------------------------- the admin's outbox


def test_the_admin_outbox_offers_resend_only_for_mail_that_may_leave_again(app, db, client):
    purged_request, (offer,) = matched_request(db, cbs(db, 1), email=BUSINESS)
    live = make_request(db, email="eve@other.example")
    context = {"req": live, "standards": [], "link": "x"}

    def mail(to, request_id, status=OutboxStatus.PENDING, **fields):
        message = queue_mail(
            db, template="confirm_request", to=to, subject="s", context=context,
            request_id=request_id, **fields,
        )  # fmt: skip
        message.status = status
        return message

    mail(BUSINESS, purged_request.id)
    mail(BUSINESS, purged_request.id, OutboxStatus.SENT)
    mail("lead@cb.example", purged_request.id, OutboxStatus.SENT, provider_id=offer.provider_id)
    live_ids = {
        mail("eve@other.example", live.id, OutboxStatus.SENT).id,
        mail("eve@other.example", live.id, OutboxStatus.FAILED).id,
    }
    db.commit()
    db.exec(
        update(LeadOffer).where(col(LeadOffer.id) == offer.id).values(status=OfferStatus.EXPIRED)
    )
    db.exec(
        update(QuoteRequest)
        .where(col(QuoteRequest.id) == purged_request.id)
        .values(status=RequestStatus.CLOSED, closed_at=NOW - 400 * DAY)
    )
    db.commit()
    _purge(app, purged_request.id)
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)

    page = client.get("/admin/mail").get_data(as_text=True)

    offered = {int(i) for i in re.findall(r"/admin/mail/(\d+)/resend", page)}
    assert offered == live_ids
    assert page.count("Deleted with its request") == 3

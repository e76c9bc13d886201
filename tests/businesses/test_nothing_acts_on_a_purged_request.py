"""No path mails a purged request's business, acts on it or shows its data: a confirm,
an action or a resend racing the purge, the match job, the admin's resend, re-match news and
reminders."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from matcher.businesses import quote_requests, retention
from matcher.db import transaction
from matcher.leads import lifecycle
from matcher.leads.rematch_mail import tell_business_of_rematch
from matcher.models import (
    LeadOffer,
    MatchRun,
    OutboxJob,
    OutboxMessage,
    OutboxStatus,
    Provider,
    QuoteRequest,
    Rating,
    RequestStatus,
    utcnow,
)
from matcher.outbox import queue_job, queue_mail
from matcher.quotes import answers, decisions
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.factories import make_request
from tests.lead_helpers import act, cb_figures, cbs, fresh, mails, matched_request, request_path
from workers import lifecycle as cron
from workers import matching as matching_job

NOW = utcnow().replace(microsecond=0)
YEAR = timedelta(days=365)
MONTH = timedelta(days=retention.UNCONFIRMED_DAYS)
BUSINESS = "quentin@zebulon.example"
# A request as the purge leaves it, for rows that reach a state only a race could make.
PURGED = {**retention.PURGED_VALUES, "purged_at": NOW}


def _count(db, model, *where) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _purged_between_read_and_act(app, monkeypatch) -> None:
    """Make every /r/<token> view meet the purge between its read of the link and its action.

    The view's read transaction ends (its objects stay loaded, as a long PostgreSQL read would
    keep them) and the daily purge commits before the view goes on.
    """
    read = quote_requests.find_by_token

    def read_then_purged(session, token):
        found = read(session, token)
        if found is not None:
            session.commit()
            assert act(app, retention.purge_request, request_id=found.id, now=NOW)
        return found

    monkeypatch.setattr(quote_requests, "find_by_token", read_then_purged)


def _accepted_and_closed(db, app) -> tuple[int, int]:
    """A request quoted, accepted and closed long enough ago to be due; (request, quote) ids."""
    start = NOW - YEAR - timedelta(days=40)
    (offer,) = matched_request(db, cbs(db, 1), now=start, email=BUSINESS)[1]
    quote = act(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(), now=start,
    )  # fmt: skip
    act(app, decisions.accept_quote, request_id=offer.request_id, quote_id=quote.id, now=start)
    act(app, lifecycle.close_request, request_id=offer.request_id, now=start + timedelta(days=31))
    db.rollback()
    return offer.request_id, quote.id


# ---------------------------------------------------------------- confirm and the match job


def test_a_confirm_racing_the_purge_is_refused_and_nothing_is_matched(
    app, db, client, jobs, smtp_sink, monkeypatch
):
    cbs(db, 3)
    pending = make_request(db, created_at=NOW - MONTH, email=BUSINESS)
    path = request_path(app, pending)
    token = csrf_token(client, path)
    _purged_between_read_and_act(app, monkeypatch)

    response = client.post(path, data={"csrf_token": token})

    assert response.status_code == 410
    assert "deleted" in response.get_data(as_text=True)
    jobs()
    request = fresh(db, QuoteRequest, pending.id)
    assert (request.status, request.confirmed_at) == (RequestStatus.PENDING_CONFIRMATION, None)
    assert request.purged_at == NOW
    assert _count(db, OutboxJob) == 0
    assert _count(db, LeadOffer) == 0
    assert _count(db, OutboxMessage) == 0
    assert smtp_sink.messages == []


def test_a_match_job_for_a_purged_request_offers_nothing_and_sends_nothing(
    app, db, jobs, smtp_sink
):
    cbs(db, 3)
    # What a confirm that slipped past the purge left behind: confirmed, purged, job queued.
    purged = make_request(db, status=RequestStatus.CONFIRMED, confirmed_at=NOW, **PURGED)
    with app.app_context(), transaction() as session:
        queue_job(session, func="match_request", args=[purged.id], dedupe_key=f"match:{purged.id}")

    jobs()

    assert matching_job.match_request(purged.id) == []
    assert fresh(db, QuoteRequest, purged.id).status == RequestStatus.CONFIRMED
    assert _count(db, LeadOffer) == 0
    assert _count(db, MatchRun) == 0
    assert _count(db, OutboxMessage) == 0
    assert smtp_sink.messages == []


# ---------------------------------------------------------------- the business's actions


@pytest.mark.parametrize("action", ["rate", "withdraw"])
def test_an_action_racing_the_purge_is_refused_and_writes_nothing(
    app, db, client, monkeypatch, action
):
    if action == "rate":
        request_id, _ = _accepted_and_closed(db, app)
        data = {"stars": "5", "comment": "Quentin Marlowe of Zebulon was delighted."}
    else:
        request_id, data = make_request(db, created_at=NOW - MONTH, email=BUSINESS).id, {}
    path = request_path(app, fresh(db, QuoteRequest, request_id))
    token = csrf_token(client, path)
    _purged_between_read_and_act(app, monkeypatch)

    response = client.post(f"{path}/{action}", data={**data, "csrf_token": token})

    assert response.status_code == 410
    request = fresh(db, QuoteRequest, request_id)
    assert request.purged_at == NOW
    assert request.status in (RequestStatus.CLOSED, RequestStatus.PENDING_CONFIRMATION)
    assert _count(db, Rating) == 0


def test_resend_waiting_on_a_purge_in_progress_mails_nothing(app, db):
    pending = make_request(db, created_at=NOW - MONTH, email=BUSINESS)
    found = []

    def resend():
        found.append(act(app, quote_requests.resend_links, email=BUSINESS))

    with app.app_context(), transaction() as purging:
        assert retention.purge_request(purging, pending.id, now=NOW)
        resending = threading.Thread(target=resend)
        resending.start()
        # Long enough for the resend to read the request while the purge holds it.
        resending.join(timeout=1)
    resending.join(timeout=60)

    assert found == [0]
    assert mails(db) == []


# ---------------------------------------------------------------- the admin's outbox


@pytest.fixture
def admin_client(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def _mail_of_purged_request(db, app) -> dict[str, int]:
    """Mail of a request purged since: one never sent, one delivered, its delivered links."""
    db.rollback()  # a stale SQLite read snapshot cannot write
    pending = make_request(db, created_at=NOW - MONTH, email=BUSINESS)
    db.commit()
    context = {"req": pending, "standards": [], "link": "x"}
    unsent = queue_mail(
        db, template="confirm_request", to=BUSINESS, subject="Confirm", context=context,
        request_id=pending.id,
    )  # fmt: skip
    delivered = queue_mail(
        db, template="confirm_request", to=BUSINESS, subject="Confirm", context=context,
        request_id=pending.id,
    )  # fmt: skip
    links = queue_mail(
        db, template="resend_links", to=BUSINESS, subject="Your requests",
        context={"requests": [(pending, "x")]},
    )  # fmt: skip
    delivered.status = links.status = OutboxStatus.SENT
    ids = {"unsent": unsent.id, "delivered": delivered.id, "links": links.id}
    db.commit()
    act(app, retention.purge_request, request_id=pending.id, now=NOW)
    return ids


@pytest.mark.parametrize("which", ["unsent", "delivered", "links"])
def test_the_admin_cannot_resend_mail_of_a_purged_request(
    app, db, admin_client, jobs, smtp_sink, which
):
    message_id = _mail_of_purged_request(db, app)[which]
    before = fresh(db, OutboxMessage, message_id).model_dump()
    token = csrf_token(admin_client, "/admin/mail")

    response = admin_client.post(
        f"/admin/mail/{message_id}/resend", data={"csrf_token": token}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "cannot be sent again" in response.get_data(as_text=True)
    assert fresh(db, OutboxMessage, message_id).model_dump() == before
    jobs()
    assert smtp_sink.messages == []


# ---------------------------------------------------------------- re-match news and reminders


def _tell_business(session, *, request_id: int, trigger: str):
    quote_request = session.get(QuoteRequest, request_id)
    offers = session.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()
    providers = {o.provider_id: session.get(Provider, o.provider_id) for o in offers}
    tell_business_of_rematch(
        session,
        quote_request,
        trigger=trigger,
        offers=list(offers),
        indicative=[],
        providers=providers,
    )


@pytest.mark.parametrize("invited", [True, False], ids=["invited", "no_one_left"])
def test_no_rematch_news_reaches_a_purged_request(app, db, invited):
    if invited:
        request_id = matched_request(db, cbs(db, 1), **PURGED)[0].id
    else:
        request_id = make_request(db, status=RequestStatus.MATCHED, **PURGED).id

    act(app, _tell_business, request_id=request_id, trigger="decline")

    assert mails(db) == []


def test_no_reminder_goes_out_for_a_lead_on_a_purged_request(app, db):
    # The lead was offered 40 of its 48 hours ago: a live request's provider is reminded now.
    offered = NOW - timedelta(hours=40)
    matched_request(db, cbs(db, 1), now=offered, **PURGED)
    live, (live_offer,) = matched_request(db, cbs(db, 1), now=offered)

    assert cron.send_reminders(now=NOW) == 1

    reminded = mails(db, "reminder_offer")
    assert [(m.request_id, m.provider_id) for m in reminded] == [(live.id, live_offer.provider_id)]
    assert _count(db, LeadOffer, col(LeadOffer.reminded_at).is_not(None)) == 1

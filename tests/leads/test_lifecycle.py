"""Time on a frozen clock: expiry and re-matching, reminders, closing; every cron job idempotent."""

from datetime import timedelta

from sqlmodel import func, select

from matcher.leads import offers
from matcher.models import (
    LeadOffer,
    OfferStatus,
    OutboxMessage,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from matcher.quotes import answers, decisions
from tests.factories import make_request
from tests.lead_helpers import (
    act,
    cb_figures,
    cbs,
    fresh,
    mails,
    matched_request,
    offer_statuses,
)
from workers import lifecycle as cron
from workers.schedule import periodic_jobs

T0 = utcnow().replace(microsecond=0)


def _confirmed_request(db, **fields):
    return make_request(db, status=RequestStatus.CONFIRMED, confirmed_at=T0, **fields)


def _match(app, quote_request):
    return act(app, offers.match_request, request_id=quote_request.id, now=T0).offers


def _snapshot(db) -> tuple:
    db.rollback()
    rows = db.exec(select(LeadOffer.id, LeadOffer.status, LeadOffer.reminded_at)).all()
    sent = db.exec(select(func.count()).select_from(OutboxMessage)).one()
    requests = db.exec(select(QuoteRequest.id, QuoteRequest.status)).all()
    return sorted(rows), sent, sorted(requests)


def test_an_unanswered_lead_expires_and_goes_to_the_next_candidate_never_a_previous_one(
    app, db, jobs
):
    providers = cbs(db, 5)
    quote_request = _confirmed_request(db)
    first = _match(app, quote_request)
    assert len(first) == 3
    first_ids = {o.provider_id for o in first}
    answered = first[0]
    act(
        app, answers.submit_quote, offer_id=answered.id, provider_id=answered.provider_id,
        figures=cb_figures(), now=T0 + timedelta(hours=1),
    )  # fmt: skip

    assert cron.expire_offers(now=T0 + timedelta(hours=47)) == []
    later = T0 + timedelta(hours=48, minutes=1)
    expired = cron.expire_offers(now=later)
    jobs()  # the re-match the expiry queued

    assert sorted(expired) == sorted(o.id for o in first[1:])
    statuses = offer_statuses(db, quote_request.id)
    assert statuses[answered.provider_id] == OfferStatus.QUOTED
    new = {pid for pid, status in statuses.items() if status == OfferStatus.OFFERED}
    assert new == {p.id for p in providers} - first_ids
    db.rollback()
    for offer in db.exec(select(LeadOffer).where(LeadOffer.status == OfferStatus.OFFERED)):
        assert offer.expires_at == later + timedelta(hours=48)
    assert len(mails(db, "offer_expired")) == 2
    assert len(mails(db, "lead_offer")) == 5

    before = _snapshot(db)
    assert cron.expire_offers(now=later) == []
    jobs()
    assert _snapshot(db) == before


def test_re_matching_stops_at_six_providers_and_the_cron_job_run_twice_changes_nothing(
    app, db, jobs
):
    providers = cbs(db, 8)
    quote_request = _confirmed_request(db)
    _match(app, quote_request)
    cron.expire_offers(now=T0 + timedelta(hours=49))
    jobs()
    cron.expire_offers(now=T0 + timedelta(hours=98))
    jobs()
    statuses = offer_statuses(db, quote_request.id)
    assert len(statuses) == 6
    assert set(statuses.values()) == {OfferStatus.EXPIRED}
    assert len(set(statuses) - {p.id for p in providers}) == 0

    before = _snapshot(db)
    cron.expire_offers(now=T0 + timedelta(hours=98))
    cron.expire_offers(now=T0 + timedelta(hours=200))
    jobs()
    assert _snapshot(db) == before


def test_a_decline_frees_the_slot_for_the_next_candidate(app, db, jobs):
    providers = cbs(db, 4)
    quote_request = _confirmed_request(db)
    first = _match(app, quote_request)
    act(
        app, answers.decline_offer, offer_id=first[0].id, provider_id=first[0].provider_id,
        reason="no_capacity", now=T0 + timedelta(hours=2),
    )  # fmt: skip
    jobs()  # the re-match the decline queued
    statuses = offer_statuses(db, quote_request.id)
    (newcomer,) = {p.id for p in providers} - {o.provider_id for o in first}
    assert statuses[newcomer] == OfferStatus.OFFERED
    assert statuses[first[0].provider_id] == OfferStatus.DECLINED


def test_no_re_match_once_the_request_is_withdrawn(app, db):
    cbs(db, 4)
    quote_request = _confirmed_request(db)
    _match(app, quote_request)
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=T0 + timedelta(hours=1))
    assert cron.expire_offers(now=T0 + timedelta(hours=49)) == []
    assert len(offer_statuses(db, quote_request.id)) == 3


def test_providers_are_reminded_once_before_their_window_closes(app, db):
    providers = cbs(db, 2)
    quote_request, (waiting, quoted) = matched_request(db, providers, now=T0)
    act(
        app, answers.submit_quote, offer_id=quoted.id, provider_id=quoted.provider_id,
        figures=cb_figures(), now=T0 + timedelta(hours=1),
    )  # fmt: skip
    assert cron.send_reminders(now=T0 + timedelta(hours=35)) == 0
    moment = T0 + timedelta(hours=37)
    assert cron.send_reminders(now=moment) == 1
    (reminder,) = mails(db, "reminder_offer")
    assert reminder.to_email == providers[0].email
    assert "11 hours" in reminder.subject
    assert f"/provider/leads/{waiting.id}" in reminder.body_text
    assert quote_request.company_name not in reminder.body_text
    assert fresh(db, LeadOffer, waiting.id).reminded_at == moment

    before = _snapshot(db)
    assert cron.send_reminders(now=moment) == 0
    assert cron.send_reminders(now=T0 + timedelta(hours=47)) == 0
    assert _snapshot(db) == before
    assert cron.send_reminders(now=T0 + timedelta(hours=49)) == 0


def test_requests_close_30_days_after_confirmation(app, db):
    providers = cbs(db, 2)
    old, (open_offer, _) = matched_request(db, providers, now=T0 - timedelta(days=31))
    young, _ = matched_request(db, [], now=T0 - timedelta(days=29))
    accepted, (won,) = matched_request(db, providers[:1], now=T0 - timedelta(days=40))
    quote = act(
        app, answers.submit_quote, offer_id=won.id, provider_id=won.provider_id,
        figures=cb_figures(), now=T0 - timedelta(days=40),
    )  # fmt: skip
    act(
        app, decisions.accept_quote, request_id=accepted.id, quote_id=quote.id,
        now=T0 - timedelta(days=40),
    )  # fmt: skip
    told_before = len(mails(db, "not_chosen"))

    assert cron.close_requests(now=T0) == 2
    assert fresh(db, QuoteRequest, old.id).status == RequestStatus.CLOSED
    assert fresh(db, QuoteRequest, old.id).closed_at == T0
    assert fresh(db, QuoteRequest, accepted.id).status == RequestStatus.CLOSED
    assert fresh(db, QuoteRequest, young.id).status == RequestStatus.MATCHED
    assert fresh(db, LeadOffer, open_offer.id).status == OfferStatus.CANCELLED
    assert len(mails(db, "not_chosen")) == told_before + 2

    before = _snapshot(db)
    assert cron.close_requests(now=T0) == 0
    assert _snapshot(db) == before


def test_the_lifecycle_jobs_run_on_cron(app):
    scheduled = {func.__name__ for func, _ in periodic_jobs(app)}
    assert {"expire_offers", "send_reminders", "close_requests"} <= scheduled


def test_the_lifecycle_jobs_run_on_a_real_worker_with_the_clock_of_now(app, db, jobs):
    from matcher.queue import get_queue

    cbs(db, 1)
    quote_request, (offer,) = matched_request(db, cbs(db, 1), now=T0 - timedelta(hours=50))
    with app.app_context():
        queue = get_queue("default")
        for func in (cron.expire_offers, cron.send_reminders, cron.close_requests):
            queue.enqueue(func)
    jobs()
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.EXPIRED
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.MATCHED

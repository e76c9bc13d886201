"""The match_request job and the rematch entry point, against the real database and queue."""

from datetime import timedelta

from sqlmodel import select

from matcher.models import LeadOffer, MatchRun, OfferStatus, OutboxMessage, Provider, QuoteRequest
from tests.market import confirmed_request, fresh, make_cb, make_consultant
from workers.matching import match_request


def _offers(db, request_id):
    fresh(db)
    return db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()


def test_a_confirmed_request_is_offered_to_the_three_best_fitting_providers(app, db):
    cbs = [make_cb(db) for _ in range(5)]
    quote_request = confirmed_request(db)

    match_request(quote_request.id)

    offers = _offers(db, quote_request.id)
    assert len(offers) == 3
    assert {o.provider_id for o in offers} <= {cb.id for cb in cbs}
    assert all(o.status == OfferStatus.OFFERED for o in offers)
    window = timedelta(hours=app.config["RESPONSE_WINDOW_HOURS"])
    assert all(o.expires_at - o.offered_at == window for o in offers)
    quote_request = db.get(QuoteRequest, quote_request.id)
    assert quote_request.status == "matched"
    assert quote_request.matched_at is not None
    run = db.exec(select(MatchRun).where(MatchRun.request_id == quote_request.id)).one()
    assert sorted(run.offered_provider_ids) == sorted(o.provider_id for o in offers)
    assert len(run.candidates) == 5
    assert all(set(c["breakdown"]) >= {"sector", "locality", "fairness"} for c in run.candidates)
    mails = db.exec(select(OutboxMessage).where(OutboxMessage.template == "lead_offer")).all()
    assert sorted(m.provider_id for m in mails) == sorted(o.provider_id for o in offers)

"""Several people acting on one request at the same moment leave one consistent state.

Real threads, each with its own connection and transaction, against this run's database
(SQLite or PostgreSQL), released together by a barrier.
"""

from sqlmodel import select

from matcher.models import LeadOffer, OfferStatus, Quote, QuoteRequest, QuoteStatus, utcnow
from matcher.quotes import answers, decisions
from matcher.quotes.errors import QuoteError
from tests.lead_helpers import act, at_the_same_moment, cb_figures, cbs, mails, matched_request

ROUNDS = 4


def _quote_action(offer):
    return (
        answers.submit_quote,
        {"offer_id": offer.id, "provider_id": offer.provider_id, "figures": cb_figures()},
    )


def test_two_providers_quoting_while_the_business_accepts_leave_a_consistent_state(app, db):
    for _ in range(ROUNDS):
        providers = cbs(db, 3)
        quote_request, (offer_a, offer_b, offer_c) = matched_request(db, providers)
        quote_a = act(app, answers.submit_quote, now=utcnow(), **_quote_action(offer_a)[1])
        accept = (decisions.accept_quote, {"request_id": quote_request.id, "quote_id": quote_a.id})

        results = at_the_same_moment(app, [_quote_action(offer_b), _quote_action(offer_c), accept])

        assert isinstance(results[2], Quote), results[2]
        db.rollback()
        assert db.get(QuoteRequest, quote_request.id).status == "accepted"
        by_offer = {
            q.offer_id: q
            for q in db.exec(select(Quote).where(Quote.request_id == quote_request.id))
        }
        assert by_offer[offer_a.id].status == QuoteStatus.ACCEPTED
        assert db.get(LeadOffer, offer_a.id).status == OfferStatus.WON
        for offer, result in ((offer_b, results[0]), (offer_c, results[1])):
            status = db.get(LeadOffer, offer.id).status
            if isinstance(result, QuoteError):
                # Too late: refused with a reason, nothing written, the lead simply ended.
                assert result.code == "accepted"
                assert offer.id not in by_offer
                assert status == OfferStatus.CANCELLED
            else:
                # In time: the quote exists and was then not chosen, never left firm.
                assert by_offer[offer.id].status == QuoteStatus.NOT_CHOSEN
                assert status == OfferStatus.LOST
        request_mails = [m for m in mails(db) if m.request_id == quote_request.id]
        assert sum(m.template == "request_accepted" for m in request_mails) == 1
        quoted_in_time = sum(not isinstance(r, QuoteError) for r in results[:2])
        assert sum(m.template == "quote_firm" for m in request_mails) == 1 + quoted_in_time
        assert sum(m.template == "not_chosen" for m in request_mails) == 2


def test_accepting_two_quotes_at_the_same_moment_accepts_exactly_one(app, db):
    for _ in range(ROUNDS):
        quote_request, offers = matched_request(db, cbs(db, 2))
        first, second = (
            act(app, answers.submit_quote, now=utcnow(), **_quote_action(offer)[1])
            for offer in offers
        )
        results = at_the_same_moment(
            app,
            [
                (decisions.accept_quote, {"request_id": quote_request.id, "quote_id": q.id})
                for q in (first, second)
            ],
        )
        refused = [r for r in results if isinstance(r, QuoteError)]
        assert len(refused) == 1 and refused[0].code == "already_accepted"
        db.rollback()
        statuses = sorted(
            db.exec(select(Quote.status).where(Quote.request_id == quote_request.id)).all()
        )
        assert statuses == [QuoteStatus.ACCEPTED, QuoteStatus.NOT_CHOSEN]
        assert (
            len([m for m in mails(db, "request_accepted") if m.request_id == quote_request.id]) == 1
        )


def test_a_quote_racing_a_withdrawal_is_either_in_and_told_or_refused(app, db):
    for _ in range(ROUNDS):
        quote_request, (offer,) = matched_request(db, cbs(db, 1))
        results = at_the_same_moment(
            app,
            [
                _quote_action(offer),
                (decisions.withdraw_request, {"request_id": quote_request.id}),
            ],
        )
        db.rollback()
        assert db.get(QuoteRequest, quote_request.id).status == "withdrawn"
        stored = db.exec(select(Quote).where(Quote.offer_id == offer.id)).first()
        if isinstance(results[0], QuoteError):
            assert results[0].code == "withdrawn" and stored is None
            assert db.get(LeadOffer, offer.id).status == OfferStatus.CANCELLED
        else:
            assert stored.status == QuoteStatus.NOT_CHOSEN
            assert db.get(LeadOffer, offer.id).status == OfferStatus.LOST
        told = [m for m in mails(db, "request_withdrawn") if m.request_id == quote_request.id]
        assert len(told) == 1

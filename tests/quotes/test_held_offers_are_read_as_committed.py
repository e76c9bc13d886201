"""The offers still holding a request's slots are read as committed, for the transitions that
end them (a request ending, a provider suspended)."""

from matcher.businesses.state import held_offers
from matcher.db import transaction
from matcher.models import LeadOffer, OfferStatus
from tests.lead_helpers import act, cbs, matched_request


def _set_status(session, offer_id: int, status: str) -> None:
    offer = session.get(LeadOffer, offer_id)
    offer.status = status
    session.add(offer)


def test_held_offers_are_the_open_and_quoted_ones_of_that_request_in_id_order(app, db):
    providers = cbs(db, 4)
    quote_request, offers = matched_request(db, providers)
    matched_request(db, providers[:1])
    for offer, status in zip(
        offers[1:], (OfferStatus.QUOTED, OfferStatus.DECLINED, OfferStatus.EXPIRED), strict=True
    ):
        act(app, _set_status, offer_id=offer.id, status=status)
    held = act(app, held_offers, request_id=quote_request.id)
    assert [(o.id, o.status) for o in held] == [
        (offers[0].id, OfferStatus.OFFERED),
        (offers[1].id, OfferStatus.QUOTED),
    ]


def test_held_offers_show_a_quote_sent_since_the_session_last_read_them(app, db):
    quote_request, (offer,) = matched_request(db, cbs(db, 1))
    with app.app_context(), transaction() as session:
        seen = session.get(LeadOffer, offer.id)
        session.commit()  # the app's sessions keep what they read past a commit
        act(app, _set_status, offer_id=offer.id, status=OfferStatus.QUOTED)
        (held,) = held_offers(session, quote_request.id)
        # A request ending now must count this offer lost, not cancel it as unanswered.
        assert held is seen and held.status == OfferStatus.QUOTED

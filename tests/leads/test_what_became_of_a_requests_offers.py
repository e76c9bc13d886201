"""What became of a request's offers is counted once: the business's "no one left" mail and the
admins' stalled queue tell the same story, each in its own words."""

from datetime import timedelta

from sqlmodel import select

from matcher.leads import offers
from matcher.leads.offer_outcomes import OfferOutcomes, offer_outcomes
from matcher.models import OfferStatus, OutboxMessage, QuoteStatus, utcnow
from matcher.providers.vouching import PROVIDER_SUSPENDED
from matcher.web.admin.stalled import stalled_requests
from tests.lead_helpers import cbs, indicative_quote, matched_request
from tests.market import confirmed_request, fresh

HOUR = timedelta(hours=1)


def _every_ending(db):
    """A request whose five offers ended every way there is; (request id, last ending)."""
    now = utcnow()
    quote_request, (declined, expired, cheap, firm, suspended) = matched_request(db, cbs(db, 5))
    declined.status, declined.responded_at = OfferStatus.DECLINED, now - 4 * HOUR
    expired.status, expired.expires_at = OfferStatus.EXPIRED, now - 3 * HOUR
    # The business turned down an indicative quote (its offer cancelled) and a firm one (lost).
    cheap.status, firm.status = OfferStatus.CANCELLED, OfferStatus.LOST
    suspended.status, suspended.cancelled_because = OfferStatus.CANCELLED, PROVIDER_SUSPENDED
    db.add_all([declined, expired, cheap, firm, suspended])
    db.commit()
    for offer, ago in ((cheap, 3 * HOUR), (firm, 2 * HOUR)):
        quote = indicative_quote(db, offer)
        quote.status, quote.decided_at = QuoteStatus.DECLINED, now - ago
        db.add(quote)
        db.commit()
    fresh(db)
    return quote_request.id, now - 2 * HOUR


def test_each_ending_of_an_offer_is_counted_once(db):
    request_id, last_ended = _every_ending(db)
    untouched = confirmed_request(db).id
    fresh(db)
    found = offer_outcomes(db, [request_id, untouched, request_id])
    assert found == {
        request_id: OfferOutcomes(
            offered=5, declined=1, expired=1, turned_down=2, cancelled=1, last_ended=last_ended
        ),
        untouched: OfferOutcomes(),
    }


def test_the_business_and_the_admins_hear_the_same_outcomes(db):
    request_id, _ = _every_ending(db)
    assert offers.rematch_request(db, request_id, "decline").offers == []
    db.commit()
    (body,) = db.exec(
        select(OutboxMessage.body_text).where(OutboxMessage.template == "request_no_one_left")
    )
    assert (
        "they declined, did not answer in time, sent a quote you turned down"
        " or are no longer available." in " ".join(body.split())
    )
    (stall,), _ = stalled_requests(db, now=utcnow())
    assert stall.request.id == request_id
    assert stall.reasons[:4] == [
        "1 declined",
        "1 did not answer in time",
        "2 quotes turned down by the business",
        "1 offer cancelled before an answer",
    ]

"""A suspended provider's open leads go back to the market (flush, never commit).

When an admin suspends a provider, or its accreditation expires, CertMatch stops vouching for
it at once. Every lead it still holds is cancelled, which frees the slot for a replacement,
and its undecided quotes are withdrawn: an indicative one simply leaves the comparison; a firm
one does too, and the business is told, because accepting it would hand the business's
contact details to a provider CertMatch no longer trusts. Each request touched is re-matched
by an outbox job once this transaction commits. Reinstatement gives nothing back: the
requests have moved on, and a provider is never offered the same request twice.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from matcher import links, track_record
from matcher.models import LeadOffer, OfferStatus, Provider, Quote, QuoteRequest, QuoteStatus
from matcher.outbox import queue_job, queue_mail
from matcher.quotes.figures import total_of
from matcher.quotes.state import OPEN_FOR_QUOTES, fresh, lock_request, quote_for_offer

# An offer in these states still holds one of the request's three slots for its provider.
HELD_STATUSES = (OfferStatus.OFFERED, OfferStatus.QUOTED)
UNDECIDED_QUOTES = (QuoteStatus.INDICATIVE, QuoteStatus.FIRM)
REMATCH_TRIGGER = "suspension"


def free_held_leads(
    session: Session, provider_ids: Iterable[int], *, now: datetime
) -> dict[int, int]:
    """Cancel the providers' open leads, withdraw their quotes and queue the re-matches.

    Call it before the providers' own rows change: every writer locks a request before the
    providers it touches, so the requests are locked first, all of them, in id order.
    Returns provider id -> how many leads it lost.
    """
    ids = sorted(set(provider_ids))
    freed = dict.fromkeys(ids, 0)
    if not ids:
        return freed
    request_ids = session.exec(
        select(LeadOffer.request_id)
        .where(col(LeadOffer.provider_id).in_(ids))
        .where(col(LeadOffer.status).in_(HELD_STATUSES))
        .distinct()
        .order_by(LeadOffer.request_id)
    ).all()
    locked = [lock_request(session, request_id) for request_id in request_ids]
    for quote_request in locked:
        # Re-read under the lock: the business may have accepted a quote meanwhile.
        held = fresh(
            session,
            select(LeadOffer)
            .where(LeadOffer.request_id == quote_request.id)
            .where(col(LeadOffer.provider_id).in_(ids))
            .where(col(LeadOffer.status).in_(HELD_STATUSES))
            .order_by(LeadOffer.id)
            .with_for_update(),
        ).all()
        for offer in held:
            _withdraw(session, quote_request, offer, now=now)
            freed[offer.provider_id] += 1
        if held:
            _queue_rematch(session, quote_request, held[0])
    for provider_id, count in freed.items():
        if count:
            track_record.refresh_response_record(session, provider_id)
    return freed


def _withdraw(session: Session, quote_request: QuoteRequest, offer: LeadOffer, *, now) -> None:
    quote = quote_for_offer(session, offer.id)
    offer.status = OfferStatus.CANCELLED
    session.add(offer)
    if quote is not None and quote.status in UNDECIDED_QUOTES:
        firm = quote.status == QuoteStatus.FIRM
        quote.status, quote.decided_at = QuoteStatus.WITHDRAWN, now
        session.add(quote)
        if firm and quote_request.purged_at is None:
            _tell_business(session, quote_request, quote)
    session.flush()


def _queue_rematch(session: Session, quote_request: QuoteRequest, first: LeadOffer) -> None:
    if quote_request.status not in OPEN_FOR_QUOTES or quote_request.purged_at is not None:
        return
    queue_job(
        session,
        func="rematch_request",
        args=[quote_request.id, REMATCH_TRIGGER],
        # An offer is cancelled once, so its id names this piece of work for good.
        dedupe_key=f"rematch:{quote_request.id}:{REMATCH_TRIGGER}:{first.id}",
    )


def _tell_business(session: Session, quote_request: QuoteRequest, quote: Quote) -> None:
    """The business may be about to accept this quote: say it is gone, never why."""
    provider = session.get(Provider, quote.provider_id)
    try:
        total = total_of(quote)
    except ValueError:
        total = None
    queue_mail(
        session,
        template="quote_withdrawn",
        to=quote_request.email,
        subject=f"The quote from {provider.name} has been withdrawn",
        context={
            "req": quote_request,
            "provider_name": provider.name,
            "quote": quote,
            "total": total,
            "link": links.request_url(quote_request.public_id),
        },
        dedupe_key=f"quote_withdrawn:{quote.id}",
        request_id=quote_request.id,
    )

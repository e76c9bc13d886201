"""The business decides on its request: accept or decline a quote, withdraw, rate the winner."""

from datetime import datetime

from sqlmodel import Session, select

from matcher import links
from matcher.businesses.state import (
    HELD_STATUSES,
    OPEN_FOR_QUOTES,
    accepted_quote,
    fresh,
    lock_request,
    rating_for,
)
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    Quote,
    QuoteRequest,
    QuoteStatus,
    Rating,
    RequestStatus,
)
from matcher.outbox import queue_mail
from matcher.providers import track_record
from matcher.quotes import withdrawal
from matcher.quotes.errors import NotFound, ProviderGone, QuoteError, long_date
from matcher.quotes.outcomes import end_open_offers, tell_provider

NO_LONGER_AVAILABLE = "This provider is no longer available on CertMatch: its quote was withdrawn."


def _check_request_open(quote_request: QuoteRequest, session: Session) -> None:
    if quote_request.status == RequestStatus.ACCEPTED:
        chosen = accepted_quote(session, quote_request.id)
        name = session.get(Provider, chosen.provider_id).name if chosen else "a provider"
        raise QuoteError(f"You have already accepted the quote from {name}.", "already_accepted")
    if quote_request.status == RequestStatus.WITHDRAWN:
        raise QuoteError(
            "You withdrew this request; its quotes can no longer be accepted or declined.",
            "withdrawn",
        )
    if quote_request.status == RequestStatus.CLOSED:
        raise QuoteError("This request is closed; its quotes can no longer be accepted.", "closed")
    if quote_request.status not in OPEN_FOR_QUOTES:
        raise QuoteError("Please confirm your request first.", "not_confirmed")


def _locked_quote(session: Session, request_id: int, quote_id: int):
    quote_request = lock_request(session, request_id)
    if quote_request is None:
        raise NotFound("request")
    quote = fresh(session, select(Quote).where(Quote.id == quote_id).with_for_update()).first()
    if quote is None or quote.request_id != request_id:
        raise NotFound("quote")
    return quote_request, quote


def accept_quote(session: Session, *, request_id: int, quote_id: int, now: datetime) -> Quote:
    """Accept a firm quote: both sides get each other's details, the others are told politely."""
    quote_request, quote = _locked_quote(session, request_id, quote_id)
    _check_request_open(quote_request, session)
    if quote.status == QuoteStatus.INDICATIVE:
        raise QuoteError(
            "This is an indicative quote: it can be accepted once the provider confirms it "
            "as a firm quote.",
            "indicative",
        )
    if quote.status == QuoteStatus.WITHDRAWN:
        raise QuoteError(NO_LONGER_AVAILABLE, "withdrawn_quote")
    if quote.status != QuoteStatus.FIRM:
        raise QuoteError("You declined this quote; it can no longer be accepted.", "declined")
    offer = fresh(session, select(LeadOffer).where(LeadOffer.id == quote.offer_id)).one()
    # Accepting mails the business's details to the provider: only to one still vouched for.
    because = withdrawal.no_longer_vouched(session, quote.provider_id, today=now.date())
    if because is not None:
        withdrawal.take_back_lead(session, quote_request, offer, because=because, now=now)
        raise ProviderGone(NO_LONGER_AVAILABLE, "withdrawn_quote")
    if quote.valid_until is not None and quote.valid_until.date() < now.date():
        raise QuoteError(
            f"This quote was valid until {long_date(quote.valid_until)}; "
            "ask the provider to renew it.",
            "quote_expired",
        )
    quote.status, quote.decided_at = QuoteStatus.ACCEPTED, now
    offer.status = OfferStatus.WON
    quote_request.status = RequestStatus.ACCEPTED
    session.add_all([quote, offer, quote_request])
    session.flush()
    end_open_offers(session, quote_request, reason="accepted_other", now=now)
    provider = session.get(Provider, quote.provider_id)
    context = {"req": quote_request, "provider": provider, "quote": quote}
    queue_mail(
        session,
        template="request_accepted",
        to=quote_request.email,
        subject=f"You accepted the quote from {provider.name}",
        context={**context, "link": links.request_url(quote_request.public_id)},
        dedupe_key=f"accepted:{quote_request.id}",
        request_id=quote_request.id,
    )
    queue_mail(
        session,
        template="request_accepted_provider",
        to=provider.email,
        subject="Your quote was accepted: here are the business's details",
        context={**context, "link": links.absolute_url(f"/provider/leads/{offer.id}")},
        dedupe_key=f"accepted_provider:{quote_request.id}",
        request_id=quote_request.id,
        provider_id=provider.id,
    )
    return quote


def decline_quote(session: Session, *, request_id: int, quote_id: int, now: datetime) -> Quote:
    """Decline one quote; its provider is told politely."""
    quote_request, quote = _locked_quote(session, request_id, quote_id)
    _check_request_open(quote_request, session)
    if quote.status == QuoteStatus.DECLINED:
        raise QuoteError("You already declined this quote.", "already_declined")
    if quote.status not in (QuoteStatus.INDICATIVE, QuoteStatus.FIRM):
        raise QuoteError("This quote can no longer be declined.")
    offer = fresh(session, select(LeadOffer).where(LeadOffer.id == quote.offer_id)).one()
    if offer.status not in HELD_STATUSES:
        raise QuoteError("This provider is no longer working on your request.")
    firm = quote.status == QuoteStatus.FIRM
    quote.status, quote.decided_at = QuoteStatus.DECLINED, now
    offer.status = OfferStatus.LOST if firm else OfferStatus.CANCELLED
    session.add_all([quote, offer])
    session.flush()
    if not firm:
        track_record.refresh_response_record(session, offer.provider_id)
    tell_provider(session, quote_request, offer, template="not_chosen", reason="declined")
    return quote


def withdraw_request(session: Session, *, request_id: int, now: datetime) -> QuoteRequest:
    """Withdraw a request: open offers are cancelled and their providers told.

    A request never confirmed may be withdrawn too (it is the business's "not me, not any
    more"): no provider heard of it, so nobody is told, a later confirm is refused, and its
    data is purged on the unconfirmed schedule, counted from the form
    (matcher/businesses/retention.py).
    """
    quote_request = lock_request(session, request_id)
    if quote_request is None:
        raise NotFound("request")
    if quote_request.status == RequestStatus.WITHDRAWN:
        raise QuoteError("This request is already withdrawn.", "already_withdrawn")
    if quote_request.status == RequestStatus.ACCEPTED:
        raise QuoteError(
            "You have accepted a quote; the request can no longer be withdrawn. "
            "Please contact the provider directly.",
            "already_accepted",
        )
    if quote_request.status == RequestStatus.CLOSED:
        raise QuoteError("This request is closed.", "closed")
    quote_request.status, quote_request.closed_at = RequestStatus.WITHDRAWN, now
    session.add(quote_request)
    session.flush()
    end_open_offers(session, quote_request, reason="withdrawn", now=now)
    return quote_request


def rate_provider(
    session: Session, *, request_id: int, stars: int, comment: str | None, now: datetime
) -> Rating:
    """Rate the accepted provider, once per request (1-5 stars and a comment)."""
    quote_request = lock_request(session, request_id)
    if quote_request is None:
        raise NotFound("request")
    chosen = accepted_quote(session, request_id)
    if chosen is None:
        raise QuoteError(
            "You can rate a provider once you have accepted its quote.", "not_accepted"
        )
    if not track_record.MIN_STARS <= stars <= track_record.MAX_STARS:
        raise QuoteError("Choose from 1 to 5 stars.", "invalid")
    if rating_for(session, request_id) is not None:
        raise QuoteError("You have already rated this provider for this request.", "already_rated")
    rating = Rating(
        request_id=request_id,
        provider_id=chosen.provider_id,
        stars=stars,
        comment=(comment or "").strip() or None,
        created_at=now,
    )
    session.add(rating)
    session.flush()
    track_record.record_rating(session, chosen.provider_id, stars)
    return rating

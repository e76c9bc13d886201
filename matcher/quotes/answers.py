"""A provider answers its lead: a firm quote, or a decline that frees the slot."""

from collections.abc import Mapping
from datetime import UTC, datetime, time

from sqlmodel import Session, select

from matcher import links
from matcher.businesses.state import (
    OPEN_FOR_QUOTES,
    fresh,
    lock_request,
    offer_for_provider,
    queue_rematch,
    quote_for_offer,
)
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    ProviderKind,
    Quote,
    QuoteRequest,
    QuoteStatus,
    RequestStatus,
)
from matcher.outbox import queue_mail
from matcher.providers import track_record
from matcher.providers.vouching import BODY_NOT_RECOGNISED, PROVIDER_SUSPENDED
from matcher.quotes import quote_math, withdrawal
from matcher.quotes.errors import InvalidFigures, NotFound, ProviderGone, QuoteError, long_date
from matcher.quotes.figures import (
    CB_FIELDS,
    CONSULTANT_FIELDS,
    days_check,
    figure,
    total_of,
    validate_figures,
)

DECLINE_REASONS = {
    "out_of_scope": "Outside our scope",
    "no_capacity": "No capacity at the moment",
    "too_small": "Too small for us",
    "other": "Another reason",
}
# A lead CertMatch took back from its provider (LeadOffer.cancelled_because): said as the lead
# page says it, since "the request is closed" is untrue while others still quote on it.
# The lead page and the inbox show the same words (their `withdrawn` context).
WITHDRAWN = {
    PROVIDER_SUSPENDED: (
        "Withdrawn from you when your profile was suspended",
        "its slot went back to other providers and does not come back on reinstatement",
    ),
    BODY_NOT_RECOGNISED: (
        "Withdrawn from you when your accreditation body stopped being recognised on CertMatch",
        "its slot went back to other providers and does not come back if the body is "
        "recognised again",
    ),
}
WITHDRAWN_FROM_YOU = {
    reason: f"This lead was {badge[0].lower()}{badge[1:]}; {detail}."
    for reason, (badge, detail) in WITHDRAWN.items()
}


def _locked_offer(session: Session, offer_id: int, provider_id: int):
    """Lock the offer's request, then the offer; return both (NotFound for someone else's)."""
    offer = offer_for_provider(session, offer_id, provider_id)
    if offer is None:
        raise NotFound()
    quote_request = lock_request(session, offer.request_id)
    offer = fresh(
        session, select(LeadOffer).where(LeadOffer.id == offer_id).with_for_update()
    ).one()
    return quote_request, offer


def _check_can_answer(quote_request: QuoteRequest, offer: LeadOffer, now: datetime) -> None:
    when = long_date(offer.responded_at) if offer.responded_at else None
    if offer.status == OfferStatus.DECLINED:
        raise QuoteError(
            f"You declined this lead on {when}; it can no longer be quoted.", "declined"
        )
    if offer.status in (OfferStatus.QUOTED, OfferStatus.WON, OfferStatus.LOST):
        raise QuoteError(
            f"You already sent a firm quote for this lead on {when}; it cannot be sent twice.",
            "already_quoted",
        )
    if offer.status == OfferStatus.EXPIRED or (
        offer.status == OfferStatus.OFFERED and offer.expires_at <= now
    ):
        raise QuoteError(
            f"The time to answer this lead ran out on {long_date(offer.expires_at)}; "
            "it has gone to another provider.",
            "expired",
        )
    if offer.status == OfferStatus.CANCELLED and offer.cancelled_because in WITHDRAWN_FROM_YOU:
        raise QuoteError(WITHDRAWN_FROM_YOU[offer.cancelled_because], offer.cancelled_because)
    if quote_request.purged_at is not None:
        raise QuoteError("This request's details were deleted; it takes no quotes.", "purged")
    if quote_request.status == RequestStatus.WITHDRAWN:
        raise QuoteError(
            "The business withdrew this request; it no longer takes quotes.", "withdrawn"
        )
    if quote_request.status == RequestStatus.ACCEPTED:
        raise QuoteError("The business has already chosen a provider for this request.", "accepted")
    if offer.status == OfferStatus.CANCELLED or quote_request.status not in OPEN_FOR_QUOTES:
        raise QuoteError("This request is closed; it no longer takes quotes.", "closed")


def submit_quote(
    session: Session, *, offer_id: int, provider_id: int, figures: Mapping, now: datetime
) -> Quote:
    """Make the offer's quote firm (replacing indicative figures on the same row)."""
    quote_request, offer = _locked_offer(session, offer_id, provider_id)
    _check_can_answer(quote_request, offer, now)
    # A late lead, still waiting for the suspension's follow-up job, must not become a quote.
    because = withdrawal.no_longer_vouched(session, provider_id, today=now.date())
    if because is not None:
        withdrawal.take_back_lead(session, quote_request, offer, because=because, now=now)
        raise ProviderGone(WITHDRAWN_FROM_YOU[because], because)
    provider = session.get(Provider, provider_id)
    errors = validate_figures(provider.kind, figures, today=now.date())
    if errors:
        raise InvalidFigures(errors)
    quote = quote_for_offer(session, offer.id) or Quote(
        offer_id=offer.id, request_id=offer.request_id, provider_id=provider_id, kind=provider.kind
    )
    quote.kind, quote.currency = provider.kind, quote_request.currency
    own, other = (
        (CB_FIELDS, CONSULTANT_FIELDS)
        if provider.kind == ProviderKind.CERTIFICATION_BODY
        else (CONSULTANT_FIELDS, CB_FIELDS)
    )
    for name in own:
        setattr(quote, name, figure(name, figures.get(name)))
    for name in other:
        setattr(quote, name, None)
    if quote.travel != quote_math.TRAVEL_ESTIMATE:
        quote.travel_estimate = None
    quote.valid_until = datetime.combine(figures["valid_until"], time.min, tzinfo=UTC)
    quote.message = figure("message", figures.get("message"))
    total = total_of(quote)
    check = days_check(session, quote, quote_request)
    quote.three_year_total = total.total
    quote.working = {
        **total.to_json(),
        "firm": True,
        "days_check": quote_math.jsonable(check) if check else None,
    }
    quote.status, quote.firmed_at = QuoteStatus.FIRM, now
    offer.status, offer.responded_at = OfferStatus.QUOTED, now
    session.add_all([quote, offer])
    session.flush()
    track_record.refresh_response_record(session, provider_id)
    queue_mail(
        session,
        template="quote_firm",
        to=quote_request.email,
        subject=f"{provider.name} sent you a firm quote",
        context={
            "req": quote_request,
            "provider": provider,
            "quote": quote,
            "total": total,
            "check": check,
            "link": links.request_url(quote_request.public_id),
        },
        dedupe_key=f"quote_firm:{quote.id}",
        request_id=quote_request.id,
    )
    return quote


def decline_offer(
    session: Session,
    *,
    offer_id: int,
    provider_id: int,
    reason: str,
    note: str | None = None,
    now: datetime,
) -> LeadOffer:
    """Decline a lead with a reason; a queued job offers the freed slot to the next best."""
    quote_request, offer = _locked_offer(session, offer_id, provider_id)
    if reason not in DECLINE_REASONS:
        raise QuoteError("Choose why you decline this lead.", "invalid")
    if offer.status == OfferStatus.DECLINED:
        raise QuoteError("You already declined this lead.", "already_declined")
    if offer.status in (OfferStatus.QUOTED, OfferStatus.WON, OfferStatus.LOST):
        raise QuoteError("You already sent a firm quote for this lead; it cannot be declined now.")
    _check_can_answer(quote_request, offer, now)
    offer.status, offer.responded_at = OfferStatus.DECLINED, now
    offer.decline_reason, offer.decline_note = reason, (note or "").strip() or None
    session.add(offer)
    session.flush()
    track_record.refresh_response_record(session, provider_id)
    queue_rematch(session, quote_request, "decline", freed=offer, now=now)
    return offer

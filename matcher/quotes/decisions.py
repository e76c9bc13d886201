"""Answering leads and choosing quotes: every transition of an offer, a quote and a request.

Each function locks the request row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE already serialises writers), then re-reads what it decides on, so two people
acting at the same moment leave one consistent state. A refused transition raises QuoteError
with a message for the person who tried, before anything is changed. Flush, never commit.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlmodel import Session, col, select

from matcher import audit_time, complexity, links, offers, quote_math, track_record
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    ProviderKind,
    Quote,
    QuoteRequest,
    QuoteStatus,
    Rating,
    RequestStatus,
)
from matcher.outbox import queue_mail

# A request takes quotes and decisions in these states.
OPEN_FOR_QUOTES = (RequestStatus.CONFIRMED, RequestStatus.MATCHED, RequestStatus.UNMATCHED)
DECLINE_REASONS = {
    "out_of_scope": "Outside our scope",
    "no_capacity": "No capacity at the moment",
    "too_small": "Too small for us",
    "other": "Another reason",
}
CB_FIELDS = (
    "stage1_days", "stage2_days", "surveillance_days", "recertification_days", "day_rate",
    "application_fee", "certificate_fee", "annual_fee", "travel", "travel_estimate",
    "justification",
)  # fmt: skip
CONSULTANT_FIELDS = ("fee_type", "fee", "days", "duration_weeks", "included")
DECIMAL_FIELDS = {
    "stage1_days", "stage2_days", "surveillance_days", "recertification_days", "day_rate",
    "application_fee", "certificate_fee", "annual_fee", "travel_estimate", "fee", "days",
}  # fmt: skip


class QuoteError(Exception):
    """A transition the current state refuses; nothing was changed."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(QuoteError):
    """The offer or quote does not exist for the one asking (shown as a 404)."""

    def __init__(self, what: str = "lead"):
        super().__init__(f"No such {what}.", "not_found")


class InvalidFigures(QuoteError):
    """The quote's figures are not acceptable: field name -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Please correct the figures marked below.", "invalid")
        self.errors = errors


def _day(moment: datetime) -> str:
    return moment.strftime("%d %B %Y")


# ---------------------------------------------------------------- locking and loading


def lock_request(session: Session, request_id: int) -> QuoteRequest | None:
    """Lock a request row for the rest of the transaction and return it, freshly read."""
    return session.exec(
        select(QuoteRequest)
        .where(QuoteRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _fresh(session: Session, statement):
    return session.exec(statement.execution_options(populate_existing=True))


def offer_for_provider(session: Session, offer_id: int, provider_id: int) -> LeadOffer | None:
    """The provider's own offer, or None: another provider's lead does not exist for it."""
    offer = session.get(LeadOffer, offer_id)
    return offer if offer is not None and offer.provider_id == provider_id else None


def quote_for_offer(session: Session, offer_id: int) -> Quote | None:
    """The one Quote of an offer (indicative or firm), if any."""
    return _fresh(session, select(Quote).where(Quote.offer_id == offer_id)).first()


def _locked_offer(session: Session, offer_id: int, provider_id: int):
    """Lock the offer's request, then the offer; return both (NotFound for someone else's)."""
    offer = offer_for_provider(session, offer_id, provider_id)
    if offer is None:
        raise NotFound()
    quote_request = lock_request(session, offer.request_id)
    offer = _fresh(
        session, select(LeadOffer).where(LeadOffer.id == offer_id).with_for_update()
    ).one()
    return quote_request, offer


def _check_can_answer(quote_request: QuoteRequest, offer: LeadOffer, now: datetime) -> None:
    when = _day(offer.responded_at) if offer.responded_at else None
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
            f"The time to answer this lead ran out on {_day(offer.expires_at)}; "
            "it has gone to another provider.",
            "expired",
        )
    if quote_request.status == RequestStatus.WITHDRAWN:
        raise QuoteError(
            "The business withdrew this request; it no longer takes quotes.", "withdrawn"
        )
    if quote_request.status == RequestStatus.ACCEPTED:
        raise QuoteError("The business has already chosen a provider for this request.", "accepted")
    if offer.status == OfferStatus.CANCELLED or quote_request.status not in OPEN_FOR_QUOTES:
        raise QuoteError("This request is closed; it no longer takes quotes.", "closed")


# ---------------------------------------------------------------- provider: quote or decline


def validate_figures(kind: str, figures: Mapping[str, object], *, today: date) -> dict[str, str]:
    """Check a quote's figures for a provider kind; return field name -> message."""
    if kind == ProviderKind.CERTIFICATION_BODY:
        errors = quote_math.validate_cb_figures(figures)
    else:
        errors = quote_math.validate_consultant_figures(figures)
    valid_until = figures.get("valid_until")
    if not isinstance(valid_until, date):
        errors["valid_until"] = "Enter the date until which the quote is valid."
    elif valid_until < today:
        errors["valid_until"] = "The quote must be valid today or later."
    return errors


def _figure(name: str, value):
    if isinstance(value, str):
        value = value.strip() or None
    if value is not None and name in DECIMAL_FIELDS:
        return Decimal(str(value))
    return value


def total_of(quote: Quote) -> quote_math.QuoteTotal:
    """The three-year total of a quote's figures, exactly as DESIGN.md defines it."""
    if quote.kind == ProviderKind.CERTIFICATION_BODY:
        return quote_math.cb_three_year_total(
            **{name: getattr(quote, name) for name in CB_FIELDS if name != "justification"}
        )
    return quote_math.consultant_total(fee_type=quote.fee_type, fee=quote.fee, days=quote.days)


def days_check(
    session: Session, quote: Quote, quote_request: QuoteRequest
) -> audit_time.DaysCheck | None:
    """A CB quote's initial audit days against the IAF MD 5 minimum; None for consultants.

    ISO 14001 / 45001 minimums use the admin's sector-to-complexity mapping when it has one.
    """
    if quote.kind != ProviderKind.CERTIFICATION_BODY or quote.stage1_days is None:
        return None
    return audit_time.check_quote_days(
        quote.stage1_days,
        quote.stage2_days,
        standards=quote_request.standard_codes,
        employees=quote_request.employees,
        complexities=complexity.complexities_for(
            session, sector=quote_request.sector, standards=quote_request.standard_codes
        ),
    )


def submit_quote(
    session: Session, *, offer_id: int, provider_id: int, figures: Mapping, now: datetime
) -> Quote:
    """Make the offer's quote firm (replacing indicative figures on the same row)."""
    quote_request, offer = _locked_offer(session, offer_id, provider_id)
    _check_can_answer(quote_request, offer, now)
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
        setattr(quote, name, _figure(name, figures.get(name)))
    for name in other:
        setattr(quote, name, None)
    if quote.travel != quote_math.TRAVEL_ESTIMATE:
        quote.travel_estimate = None
    quote.valid_until = datetime.combine(figures["valid_until"], time.min, tzinfo=UTC)
    quote.message = _figure("message", figures.get("message"))
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
    """Decline a lead with a reason; the freed slot goes to the next best candidate."""
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
    offers.rematch_request(session, quote_request.id, "decline", now=now)
    return offer


# ---------------------------------------------------------------- business: decide


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
    quote = _fresh(session, select(Quote).where(Quote.id == quote_id).with_for_update()).first()
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
    if quote.status != QuoteStatus.FIRM:
        raise QuoteError("You declined this quote; it can no longer be accepted.", "declined")
    if quote.valid_until is not None and quote.valid_until.date() < now.date():
        raise QuoteError(
            f"This quote was valid until {_day(quote.valid_until)}; ask the provider to renew it.",
            "quote_expired",
        )
    offer = _fresh(session, select(LeadOffer).where(LeadOffer.id == quote.offer_id)).one()
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
    offer = _fresh(session, select(LeadOffer).where(LeadOffer.id == quote.offer_id)).one()
    if offer.status not in (OfferStatus.OFFERED, OfferStatus.QUOTED):
        raise QuoteError("This provider is no longer working on your request.")
    firm = quote.status == QuoteStatus.FIRM
    quote.status, quote.decided_at = QuoteStatus.DECLINED, now
    offer.status = OfferStatus.LOST if firm else OfferStatus.CANCELLED
    session.add_all([quote, offer])
    session.flush()
    if not firm:
        track_record.refresh_response_record(session, offer.provider_id)
    _tell_provider(session, quote_request, offer, template="not_chosen", reason="declined")
    return quote


def withdraw_request(session: Session, *, request_id: int, now: datetime) -> QuoteRequest:
    """Withdraw a request: open offers are cancelled and their providers told."""
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


def accepted_quote(session: Session, request_id: int) -> Quote | None:
    """The quote the business accepted, if any."""
    return _fresh(
        session,
        select(Quote)
        .where(Quote.request_id == request_id)
        .where(Quote.status == QuoteStatus.ACCEPTED),
    ).first()


def rating_for(session: Session, request_id: int) -> Rating | None:
    """The business's rating for a request, if it gave one."""
    return _fresh(session, select(Rating).where(Rating.request_id == request_id)).first()


# ---------------------------------------------------------------- ending offers


def end_open_offers(session: Session, quote_request: QuoteRequest, *, reason: str, now: datetime):
    """End every offer still open on a request and tell its provider (reason: accepted_other,
    withdrawn or closed). Offers with a firm quote are lost, the others cancelled."""
    rows = _fresh(
        session,
        select(LeadOffer)
        .where(LeadOffer.request_id == quote_request.id)
        .where(col(LeadOffer.status).in_([OfferStatus.OFFERED, OfferStatus.QUOTED]))
        .order_by(LeadOffer.id)
        .with_for_update(),
    ).all()
    for offer in rows:
        answered = offer.status == OfferStatus.QUOTED
        offer.status = OfferStatus.LOST if answered else OfferStatus.CANCELLED
        quote = quote_for_offer(session, offer.id)
        if quote is not None and quote.status in (QuoteStatus.INDICATIVE, QuoteStatus.FIRM):
            quote.status, quote.decided_at = QuoteStatus.NOT_CHOSEN, now
            session.add(quote)
        session.add(offer)
        session.flush()
        if not answered:
            track_record.refresh_response_record(session, offer.provider_id)
        template = "request_withdrawn" if reason == "withdrawn" else "not_chosen"
        _tell_provider(
            session, quote_request, offer, template=template, reason=reason, quoted=answered
        )
    return rows


def _tell_provider(session, quote_request, offer, *, template: str, reason: str, quoted=True):
    provider = session.get(Provider, offer.provider_id)
    subjects = {
        "accepted_other": "The business chose another provider",
        "declined": "The business declined your quote",
        "withdrawn": "The business withdrew its request",
        "closed": "A request you were offered has closed",
    }
    queue_mail(
        session,
        template=template,
        to=provider.email,
        subject=subjects[reason],
        context={
            "provider": provider,
            "offer": offer,
            "reason": reason,
            "quoted": quoted,
            "link": links.absolute_url(f"/provider/leads/{offer.id}"),
        },
        dedupe_key=f"{template}:{offer.id}",
        request_id=quote_request.id,
        provider_id=provider.id,
    )

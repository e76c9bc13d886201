"""The business's quotes side by side: totals, MD 5 checks, badges and what it may do."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from matcher.businesses.state import HELD_STATUSES, OPEN_FOR_QUOTES, rating_for
from matcher.iso import audit_time
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
from matcher.providers import track_record
from matcher.quotes import quote_math
from matcher.quotes.figures import days_check, total_of


@dataclass(frozen=True)
class QuoteCard:
    """One quote as the business compares it."""

    quote: Quote
    offer: LeadOffer
    provider: Provider
    badge: list[str]
    total: quote_math.QuoteTotal | None
    check: audit_time.DaysCheck | None
    days: dict[str, str]
    response: str
    record: track_record.TrackRecord
    assumptions: list[str]
    can_accept: bool
    can_decline: bool

    @property
    def firm(self) -> bool:
        return self.quote.status != QuoteStatus.INDICATIVE


@dataclass(frozen=True)
class Comparison:
    """Everything the request page shows about quotes, and what the business may do."""

    cards: list[QuoteCard]
    accepted: QuoteCard | None
    waiting: int
    can_withdraw: bool
    can_rate: bool
    rating: Rating | None
    # Providers whose quotes were withdrawn when CertMatch suspended them, by name only.
    withdrawn: list[str]


STATUS_ORDER = {
    QuoteStatus.ACCEPTED: 0, QuoteStatus.FIRM: 1, QuoteStatus.INDICATIVE: 2,
    QuoteStatus.NOT_CHOSEN: 3, QuoteStatus.DECLINED: 4,
}  # fmt: skip


def comparison_for(session: Session, quote_request: QuoteRequest, *, now: datetime) -> Comparison:
    """The request's quotes side by side, best decided first, with their warnings."""
    rows = session.exec(
        select(Quote, LeadOffer, Provider)
        .join(LeadOffer, col(LeadOffer.id) == Quote.offer_id)
        .join(Provider, col(Provider.id) == Quote.provider_id)
        .where(Quote.request_id == quote_request.id)
    ).all()
    open_request = quote_request.status in OPEN_FOR_QUOTES
    cards, withdrawn = [], []
    for quote, offer, provider in rows:
        # CertMatch no longer vouches for its provider: not a figure to compare or accept.
        if quote.status == QuoteStatus.WITHDRAWN:
            withdrawn.append(provider.name)
            continue
        # An indicative figure whose provider declined or let the lead expire means nothing.
        if quote.status == QuoteStatus.INDICATIVE and offer.status != OfferStatus.OFFERED:
            continue
        cards.append(_card(session, quote_request, quote, offer, provider, open_request))
    cards.sort(key=lambda c: (STATUS_ORDER.get(c.quote.status, 9), _sort_total(c), c.quote.id))
    quoted = {c.offer.id for c in cards}
    waiting = session.exec(
        select(LeadOffer.id)
        .where(LeadOffer.request_id == quote_request.id)
        .where(LeadOffer.status == OfferStatus.OFFERED)
    ).all()
    accepted = next((c for c in cards if c.quote.status == QuoteStatus.ACCEPTED), None)
    rating = rating_for(session, quote_request.id)
    return Comparison(
        cards=cards,
        accepted=accepted,
        waiting=sum(1 for offer_id in waiting if offer_id not in quoted),
        can_withdraw=quote_request.status in (*OPEN_FOR_QUOTES, RequestStatus.PENDING_CONFIRMATION),
        can_rate=accepted is not None and rating is None,
        rating=rating,
        withdrawn=sorted(withdrawn),
    )


def _sort_total(card: QuoteCard) -> Decimal:
    return card.total.total if card.total else Decimal("Infinity")


def _card(session, quote_request, quote, offer, provider, open_request) -> QuoteCard:
    try:
        total = total_of(quote)
    except ValueError:
        total = None
    responded = offer.responded_at if quote.status != QuoteStatus.INDICATIVE else None
    if responded:
        hours = track_record.hours_between(offer.offered_at, responded)
        response = f"answered in {track_record.duration_text(hours)}"
    else:
        response = f"firm quote expected by {offer.expires_at.strftime('%d %B %Y, %H:%M UTC')}"
    days = {
        name: audit_time.format_days(getattr(quote, name))
        for name in (
            "stage1_days",
            "stage2_days",
            "surveillance_days",
            "recertification_days",
            "days",
        )
        if getattr(quote, name) is not None
    }
    check = days_check(session, quote, quote_request)
    if check is not None:
        days["initial"] = audit_time.format_days(check.offered)
        days["minimum"] = audit_time.format_days(check.minimum)
    working = quote.working or {}
    return QuoteCard(
        quote=quote,
        offer=offer,
        provider=provider,
        badge=verification_badge(session, provider),
        total=total,
        check=check,
        days=days,
        response=response,
        record=track_record.track_record(provider),
        assumptions=list(working.get("assumptions") or []) if not working.get("firm") else [],
        can_accept=open_request and quote.status == QuoteStatus.FIRM,
        can_decline=open_request
        and quote.status in (QuoteStatus.FIRM, QuoteStatus.INDICATIVE)
        and offer.status in HELD_STATUSES,
    )


def verification_badge(session: Session, provider: Provider) -> list[str]:
    """What CertMatch checked: a CB's accreditation, a consultant's qualifications.

    Only checked facts belong here: a verified consultant's new qualifications wait in
    `pending_changes` until an admin approves them (matcher/providers/qualification_review.py),
    so the qualification rows read below are the approved ones.
    """
    from matcher.models import AccreditationBody
    from matcher.providers.profiles import qualifications

    if provider.kind == ProviderKind.CERTIFICATION_BODY:
        body = session.get(AccreditationBody, provider.accreditation_body_id or 0)
        expires = provider.accreditation_expires_on
        return [
            f"Accredited by {body.acronym if body else 'an accreditation body'}"
            + (f", no. {provider.accreditation_number}" if provider.accreditation_number else "")
            + (f", valid until {expires.isoformat()}" if expires else "")
        ]
    found = qualifications(session, provider)
    if not found:
        return ["Verified consultant"]
    return [
        q.name
        + (f" ({q.issuer})" if q.issuer else "")
        + (f", valid until {q.expires_on.isoformat()}" if q.expires_on else "")
        for q in found
    ]

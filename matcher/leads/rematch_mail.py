"""What the business hears when a re-match runs (flush, never commit).

A decline, an expiry or a suspension frees a slot and the re-match invites the next provider:
the business gets one short mail naming it, its answer-by time and its indicative quote when
one could be worked out. A re-match that finds no one says so only when the business has
nothing left to wait for (no lead still open, no firm quote): otherwise silence is the honest
answer.
"""

from collections.abc import Mapping

from sqlmodel import Session, func, select

from matcher import links
from matcher.businesses.state import firm_quotes
from matcher.leads.offer_outcomes import OfferOutcomes, offer_outcomes
from matcher.matching import MAX_PROVIDERS_PER_REQUEST
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    ProviderKind,
    Quote,
    QuoteRequest,
)
from matcher.outbox import queue_mail

KIND_LABELS = {
    ProviderKind.CONSULTANT: "verified consultant",
    ProviderKind.CERTIFICATION_BODY: "accredited certification body",
}
# Why the slot was free, in the business's words; the admin's re-run gives no reason.
# A suspension's reason is between CertMatch and the provider: the business hears only this.
FREED_BECAUSE = {
    "decline": "declined your request",
    "expiry": "did not answer in time",
    "suspension": "is no longer available",
}
FREED_BECAUSE_MANY = {"suspension": "are no longer available"}


def quote_lines(quotes: list[Quote], providers: Mapping[int, Provider]) -> list[tuple[str, Quote]]:
    """(provider name, quote) for the indicative quotes listed in the business's mail."""
    return sorted(
        ((providers[q.provider_id].name, q) for q in quotes),
        key=lambda pair: pair[1].three_year_total,
    )


def tell_business_of_rematch(
    session: Session,
    quote_request: QuoteRequest,
    *,
    trigger: str,
    offers: list[LeadOffer],
    indicative: list[Quote],
    providers: Mapping[int, Provider],
) -> None:
    """Mail the business about the providers a re-match invited, or that none is left.

    `providers` holds every offer's provider by id, as the match run already read them.
    """
    if quote_request.purged_at is not None:
        # Its address and names are gone, and so is every link we could send it.
        return
    if offers:
        _invited_mail(session, quote_request, trigger, offers, indicative, providers)
    elif not _still_waiting(session, quote_request.id):
        _no_one_left_mail(session, quote_request)


def _invited_mail(session, quote_request, trigger, offers, indicative, providers) -> None:
    quotes = {q.offer_id: q for q in indicative}
    invited = [
        (providers[o.provider_id], KIND_LABELS.get(providers[o.provider_id].kind), quotes.get(o.id))
        for o in sorted(offers, key=lambda o: o.rank)
    ]
    many = len(invited) > 1
    queue_mail(
        session,
        template="request_rematched",
        to=quote_request.email,
        subject=(
            f"{len(invited)} new verified providers are preparing a quote for you"
            if many
            else "A new verified provider is preparing a quote for you"
        ),
        context={
            "req": quote_request,
            "link": links.request_url(quote_request.public_id),
            "invited": invited,
            "many": many,
            "priced": sum(1 for _, _, quote in invited if quote),
            "because": (many and FREED_BECAUSE_MANY.get(trigger)) or FREED_BECAUSE.get(trigger),
            "answer_by": max(o.expires_at for o in offers),
        },
        dedupe_key=f"rematched:{quote_request.id}:{'-'.join(str(o.id) for o in offers)}",
        request_id=quote_request.id,
    )


def _still_waiting(session: Session, request_id: int) -> bool:
    """True while a lead is still open or a firm quote waits for the business's decision."""
    open_offers = session.exec(
        select(func.count())
        .select_from(LeadOffer)
        .where(LeadOffer.request_id == request_id)
        .where(LeadOffer.status == OfferStatus.OFFERED)
    ).one()
    return bool(open_offers or firm_quotes(session, request_id))


def _what_happened(outcomes: OfferOutcomes) -> list[str]:
    """What became of the invited providers, in the business's words (only what did happen)."""
    return [
        words
        for count, words in (
            (outcomes.declined, "declined"),
            (outcomes.expired, "did not answer in time"),
            (outcomes.turned_down, "sent a quote you turned down"),
            # A suspension's reason is between CertMatch and the provider (FREED_BECAUSE).
            (outcomes.cancelled, "are no longer available"),
        )
        if count
    ]


def _no_one_left_mail(session: Session, quote_request: QuoteRequest) -> None:
    outcomes = offer_outcomes(session, [quote_request.id])[quote_request.id]
    offered = outcomes.offered
    queue_mail(
        session,
        template="request_no_one_left",
        to=quote_request.email,
        subject="No other provider can quote for your request yet",
        context={
            "req": quote_request,
            "link": links.request_url(quote_request.public_id),
            "happened": _what_happened(outcomes),
            "at_limit": offered >= MAX_PROVIDERS_PER_REQUEST,
            "limit": MAX_PROVIDERS_PER_REQUEST,
        },
        # Once per state: a second re-run that changes nothing says nothing again.
        dedupe_key=f"no_one_left:{quote_request.id}:{offered}",
        request_id=quote_request.id,
    )

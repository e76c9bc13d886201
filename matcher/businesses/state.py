"""What a transition decides on: the request locked, its offers, quotes and rating re-read.

And the re-match a freed slot queues: every package that frees a slot (a decline, an expiry,
a suspension) asks for it here, through the outbox, without importing the matcher.
"""

from datetime import datetime

from sqlmodel import Session, col, func, select

from matcher.models import (
    LeadOffer,
    OfferStatus,
    Quote,
    QuoteRequest,
    QuoteStatus,
    Rating,
    RequestStatus,
)
from matcher.outbox import queue_job

# A request takes quotes and decisions in these states.
OPEN_FOR_QUOTES = (RequestStatus.CONFIRMED, RequestStatus.MATCHED, RequestStatus.UNMATCHED)
# Quotes the business has (or had) to decide on: a firm one, or the one it accepted.
FIRM_OR_ACCEPTED = (QuoteStatus.FIRM, QuoteStatus.ACCEPTED)
# An offer in these states still holds one of the request's three slots for its provider.
HELD_STATUSES = (OfferStatus.OFFERED, OfferStatus.QUOTED)


def firm_quotes(session: Session, request_id: int) -> int:
    """How many firm (or accepted) quotes a request has."""
    return session.exec(
        select(func.count())
        .select_from(Quote)
        .where(Quote.request_id == request_id)
        .where(col(Quote.status).in_(FIRM_OR_ACCEPTED))
    ).one()


def lock_request(session: Session, request_id: int) -> QuoteRequest | None:
    """Lock a request row for the rest of the transaction and return it, freshly read."""
    return session.exec(
        select(QuoteRequest)
        .where(QuoteRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def fresh(session: Session, statement):
    """Run a select that overwrites the session's cached objects with the rows as they are."""
    return session.exec(statement.execution_options(populate_existing=True))


def held_offers(session: Session, request_id: int) -> list[LeadOffer]:
    """Lock the request's offers still holding a slot, in id order, as committed now.

    For a transition ending them: take the request's lock first. Read afresh, since the
    provider may have quoted (or the business decided) since the session last saw them.
    """
    return list(
        fresh(
            session,
            select(LeadOffer)
            .where(LeadOffer.request_id == request_id)
            .where(col(LeadOffer.status).in_(HELD_STATUSES))
            .order_by(LeadOffer.id)
            .with_for_update(),
        ).all()
    )


def offer_for_provider(session: Session, offer_id: int, provider_id: int) -> LeadOffer | None:
    """The provider's own offer, or None: another provider's lead does not exist for it."""
    offer = session.get(LeadOffer, offer_id)
    return offer if offer is not None and offer.provider_id == provider_id else None


def quote_for_offer(session: Session, offer_id: int) -> Quote | None:
    """The one Quote of an offer (indicative or firm), if any."""
    return fresh(session, select(Quote).where(Quote.offer_id == offer_id)).first()


def accepted_quote(session: Session, request_id: int) -> Quote | None:
    """The quote the business accepted, if any."""
    return fresh(
        session,
        select(Quote)
        .where(Quote.request_id == request_id)
        .where(Quote.status == QuoteStatus.ACCEPTED),
    ).first()


def rating_for(session: Session, request_id: int) -> Rating | None:
    """The business's rating for a request, if it gave one."""
    return fresh(session, select(Rating).where(Rating.request_id == request_id)).first()


def queue_rematch(
    session: Session, quote_request: QuoteRequest, trigger: str, *, freed: LeadOffer, now: datetime
) -> None:
    """Queue the job that re-matches the slot `freed` gave back, to run once this commits.

    Never in the transaction that freed it: that one holds the freed offer's provider row
    (its track record, or a suspension's lock), and a re-match locks the providers it picks.
    Two declines whose re-matches picked each other's provider would wait on each other.
    """
    if quote_request.status not in OPEN_FOR_QUOTES or quote_request.purged_at is not None:
        return
    queue_job(
        session,
        func="rematch_request",
        # `now` dates the run no earlier than the decline or expiry that freed the slot.
        args=[quote_request.id, trigger, now.isoformat()],
        # An offer frees its slot once, so its id names this piece of work for good.
        dedupe_key=f"rematch:{quote_request.id}:{trigger}:{freed.id}",
    )

"""What became of a request's offers, counted in one place.

The business's "no one left" mail (`matcher.leads.rematch_mail`) and the admins' stalled queue
(`matcher.web.admin.stalled`) both tell it, each in its own words, from these counts.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.db import in_chunks
from matcher.models import LeadOffer, OfferStatus, Quote, QuoteStatus

ENDED_BY_PROVIDER = {OfferStatus.DECLINED: "declined", OfferStatus.EXPIRED: "expired"}


@dataclass(frozen=True)
class OfferOutcomes:
    """How many of a request's offers ended each way, and when the last one ended."""

    offered: int = 0
    declined: int = 0
    expired: int = 0
    # Quotes the business turned down. Turning down an indicative quote cancels its offer:
    # that offer is counted here only, as what the business did.
    turned_down: int = 0
    # Offers cancelled before an answer for any other reason: on a request still open, their
    # provider was suspended or its body stopped counting (matcher/quotes/withdrawal.py).
    cancelled: int = 0
    last_ended: datetime | None = None


def offer_outcomes(session: Session, request_ids: Iterable[int]) -> dict[int, OfferOutcomes]:
    """Request id -> what became of its offers (all zeros for a request with none)."""
    ids = sorted(set(request_ids))
    outcomes = dict.fromkeys(ids, OfferOutcomes())
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ended: dict[int, list[datetime]] = defaultdict(list)
    for chunk in in_chunks(ids):
        # One offer has at most one quote.
        rows = session.exec(
            select(
                LeadOffer.request_id,
                LeadOffer.status,
                LeadOffer.responded_at,
                LeadOffer.expires_at,
                Quote.status,
                Quote.decided_at,
            )
            .join(Quote, col(Quote.offer_id) == LeadOffer.id, isouter=True)
            .where(col(LeadOffer.request_id).in_(chunk))
        ).all()
        for request_id, offer, responded_at, expires_at, quote, decided_at in rows:
            tally = counts[request_id]
            tally["offered"] += 1
            if offer in ENDED_BY_PROVIDER:
                tally[ENDED_BY_PROVIDER[offer]] += 1
            if quote == QuoteStatus.DECLINED:
                tally["turned_down"] += 1
            elif offer == OfferStatus.CANCELLED:
                tally["cancelled"] += 1
            # An expiry ends at its answer-by time; a decline when it was sent; a quote the
            # business decided on when it decided.
            ended[request_id] += [
                expires_at if offer == OfferStatus.EXPIRED else responded_at,
                decided_at,
            ]
    for request_id, counted in counts.items():
        last = max((moment for moment in ended[request_id] if moment is not None), default=None)
        outcomes[request_id] = replace(OfferOutcomes(), **counted, last_ended=last)
    return outcomes

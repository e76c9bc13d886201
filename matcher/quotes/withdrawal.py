"""A suspended provider's open leads go back to the market (flush, never commit).

When an admin suspends a provider, or its accreditation expires, CertMatch stops vouching for
it at once. Every lead it still holds is cancelled, which frees the slot for a replacement,
and its undecided quotes are withdrawn: an indicative one simply leaves the comparison; a firm
one does too, and the business is told, because accepting it would hand the business's
contact details to a provider CertMatch no longer trusts. Each request touched is re-matched
by an outbox job once this transaction commits. Reinstatement gives nothing back: the
requests have moved on, and a provider is never offered the same request twice. The same
happens to the CBs of an accreditation body that stops being recognised
(`matcher.vetting.body_recognition`).

A match run may have read a provider as verified just before it was suspended. Both sides
lock the provider row: the run before it writes the lead (`matcher.providers.vouching`, re-reading
the provider under the lock), the suspension after it has locked its requests. A run that comes
second finds the provider no longer vouched for; one that came first has committed its lead by
the time the suspension holds the lock, and that "late" lead, on a request the suspension did
not lock, is handed to a follow-up job (`release_late_leads`): locking it now would take a
request after a provider, against the order every writer keeps.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from matcher import links
from matcher.businesses.state import (
    HELD_STATUSES,
    held_offers,
    lock_request,
    queue_rematch,
    quote_for_offer,
)
from matcher.db import in_chunks
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    Quote,
    QuoteRequest,
    QuoteStatus,
)
from matcher.outbox import queue_job, queue_mail
from matcher.providers import track_record
from matcher.providers.vouching import PROVIDER_SUSPENDED, provider_rows, why_not_vouched
from matcher.quotes.figures import total_of
from matcher.wording import plural

UNDECIDED_QUOTES = (QuoteStatus.INDICATIVE, QuoteStatus.FIRM)
REMATCH_TRIGGER = "suspension"
RELEASE_JOB = "release_leads"


def free_held_leads(
    session: Session,
    provider_ids: Iterable[int],
    *,
    now: datetime,
    because: str | Callable[[list], Mapping[int, str]] = PROVIDER_SUSPENDED,
) -> dict[int, int]:
    """Cancel the providers' open leads, withdraw their quotes and queue the re-matches.

    Call it before the providers' own rows change: every writer locks a request before the
    providers it touches, so the requests are locked first, all of them, in id order, then
    the providers. `because` is the reason stored on each lead, or a function of the
    providers' `provider_rows`, read under their locks, returning provider id -> reason for
    those whose leads are still to go (the others keep theirs).
    Returns provider id -> how many leads it lost.
    """
    ids = sorted(set(provider_ids))
    freed = dict.fromkeys(ids, 0)
    if not ids:
        return freed
    request_ids = sorted({request_id for _, request_id, _ in _held(session, ids)})
    locked = [lock_request(session, request_id) for request_id in request_ids]
    rows = provider_rows(session, ids, lock=True)
    reasons = dict.fromkeys(ids, because) if isinstance(because, str) else dict(because(rows))
    for quote_request in locked:
        # Re-read under the lock: the business may have accepted a quote meanwhile.
        held = [
            offer
            for offer in held_offers(session, quote_request.id)
            if offer.provider_id in reasons
        ]
        for offer in held:
            reason = reasons[offer.provider_id]
            _withdraw(session, quote_request, offer, because=reason, now=now)
            freed[offer.provider_id] += 1
        if held:
            queue_rematch(session, quote_request, REMATCH_TRIGGER, freed=held[0], now=now)
    _queue_late_release(session, sorted(reasons), handled=set(request_ids))
    for provider_id, count in freed.items():
        if count:
            track_record.refresh_response_record(session, provider_id)
    return freed


def release_late_leads(session: Session, provider_ids: Iterable[int], *, now: datetime) -> int:
    """Free the leads a match run gave the providers as they stopped being vouched for.

    The suspension's follow-up job; a provider vouched for again meanwhile keeps its leads,
    and each provider that lost some gets one short mail (the suspension's own mail could
    not count them). Returns how many leads were freed.
    """
    reasons: dict[int, str] = {}

    def gone(rows) -> dict[int, str]:
        # Read under the providers' locks, which free_held_leads takes after the requests':
        # an unlocked read could free, or label, a lead on a state already stale.
        reasons.update(why_not_vouched(session, rows, today=now.date()))
        return reasons

    freed = free_held_leads(session, provider_ids, now=now, because=gone)
    for provider_id, count in freed.items():
        if count:
            _tell_provider_of_late_leads(session, provider_id, count, reasons[provider_id])
    return sum(freed.values())


def no_longer_vouched(session: Session, provider_id: int, *, today) -> str | None:
    """Lock the provider's row; why CertMatch no longer vouches for it, or None while it does.

    For a transition about to hand a provider a business (a firm quote, an acceptance) whose
    lead may be a late one still waiting for `release_late_leads`. Call it with the request
    already locked: requests before providers.
    """
    rows = provider_rows(session, [provider_id], lock=True)
    return why_not_vouched(session, rows, today=today).get(provider_id)


def take_back_lead(
    session: Session, quote_request: QuoteRequest, offer: LeadOffer, *, because: str, now
) -> None:
    """Free one held lead of a provider no longer vouched for, as a suspension frees it.

    The caller holds the request, the offer and the provider locked (`no_longer_vouched`).
    """
    if offer.status not in HELD_STATUSES:
        return
    _withdraw(session, quote_request, offer, because=because, now=now)
    queue_rematch(session, quote_request, REMATCH_TRIGGER, freed=offer, now=now)
    track_record.refresh_response_record(session, offer.provider_id)


def _held(session: Session, ids: list[int]) -> list:
    """(offer id, request id, provider id) of the leads the providers hold, by offer id."""
    rows = []
    for chunk in in_chunks(ids):
        rows += session.exec(
            select(LeadOffer.id, LeadOffer.request_id, LeadOffer.provider_id)
            .where(col(LeadOffer.provider_id).in_(chunk))
            .where(col(LeadOffer.status).in_(HELD_STATUSES))
        ).all()
    return sorted(rows)


def _queue_late_release(session: Session, ids: list[int], *, handled: set[int]) -> None:
    """Hand the leads a match run committed before the providers were locked to a job."""
    late = [row for row in _held(session, ids) if row[1] not in handled]
    if not late:
        return
    queue_job(
        session,
        func=RELEASE_JOB,
        args=[sorted({provider_id for _, _, provider_id in late})],
        # The first late lead names the work: once freed, it is never late again.
        dedupe_key=f"{RELEASE_JOB}:{late[0][0]}",
    )


def _withdraw(
    session: Session, quote_request: QuoteRequest, offer: LeadOffer, *, because: str, now
) -> None:
    quote = quote_for_offer(session, offer.id)
    offer.status, offer.cancelled_because = OfferStatus.CANCELLED, because
    session.add(offer)
    if quote is not None and quote.status in UNDECIDED_QUOTES:
        firm = quote.status == QuoteStatus.FIRM
        quote.status, quote.decided_at = QuoteStatus.WITHDRAWN, now
        session.add(quote)
        if firm and quote_request.purged_at is None:
            _tell_business(session, quote_request, quote)
    session.flush()


def _tell_provider_of_late_leads(session: Session, provider_id: int, count: int, reason: str):
    provider = session.get(Provider, provider_id)
    queue_mail(
        session,
        template="provider_leads_released",
        to=provider.email,
        subject=f"{plural(count, 'more lead')} withdrawn from you on CertMatch",
        context={"provider": provider, "count": count, "reason": reason},
        provider_id=provider_id,
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

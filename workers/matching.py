"""The matching jobs: offer a confirmed request to up to three fitting providers, refill slots."""

from datetime import datetime

from matcher.db import transaction
from matcher.leads import offers
from matcher.models import utcnow
from matcher.quotes import withdrawal
from workers.runtime import with_app_context


@with_app_context
def match_request(request_id: int) -> list[int]:
    """Match request `request_id` once; return the ids of the offers this run made.

    Running it again, or in two workers at once, offers nothing twice: the run locks the
    request and a matched request is left alone.
    """
    with transaction() as session:
        outcome = offers.match_request(session, request_id)
        return [offer.id for offer in outcome.offers]


@with_app_context
def rematch_request(request_id: int, trigger: str, after: str | None = None) -> list[int]:
    """Offer a request's free slots to the next best providers; return the new offer ids.

    Running it twice invites once: the first run fills the free slots, and a provider is
    never offered the same request twice. `after` (ISO) is when the slot was freed: the new
    offers are never dated before it, even on a clock behind the one that freed it.
    """
    now = utcnow()
    if after is not None:
        now = max(now, datetime.fromisoformat(after))
    with transaction() as session:
        outcome = offers.rematch_request(session, request_id, trigger, now=now)
        return [offer.id for offer in outcome.offers]


@with_app_context
def release_leads(provider_ids: list[int]) -> int:
    """Free the leads a match run gave providers as they were suspended; return how many.

    Queued by a suspension that found such a "late" lead; running it again frees nothing more.
    """
    with transaction() as session:
        return withdrawal.release_late_leads(session, provider_ids, now=utcnow())

"""Periodic jobs of a request's life: expire and re-match, remind, close.

Each job takes an optional ISO timestamp (tests freeze the clock with it; the cron scheduler
passes nothing) and commits one request or offer at a time, so one failure never holds back
the rest and a crash half-way loses nothing: the next run picks up what is left.
"""

from datetime import datetime

from matcher.db import transaction
from matcher.leads import lifecycle
from matcher.models import utcnow
from workers.runtime import with_app_context


def _now(now: datetime | str | None) -> datetime:
    if now is None:
        return utcnow()
    return datetime.fromisoformat(now) if isinstance(now, str) else now


def _one_transaction_each(find_due, act, moment: datetime) -> list:
    """Find what is due, then act on each item in its own transaction.

    One item failing (or a worker dying) leaves the others done; the next run picks it up.
    """
    with transaction() as session:
        due = find_due(session, now=moment)
    results = []
    for item in due:
        with transaction() as session:
            results.append(act(session, item, now=moment))
    return results


@with_app_context
def expire_offers(now: datetime | str | None = None) -> list[int]:
    """Expire unanswered offers past their window and re-match their requests."""
    results = _one_transaction_each(
        lifecycle.requests_with_expired_offers, lifecycle.expire_request_offers, _now(now)
    )
    return [offer_id for expired in results for offer_id in expired]


@with_app_context
def send_reminders(now: datetime | str | None = None) -> int:
    """Remind providers whose leads expire soon."""
    return sum(_one_transaction_each(lifecycle.offers_due_reminder, lifecycle.remind, _now(now)))


@with_app_context
def close_requests(now: datetime | str | None = None) -> int:
    """Close requests 30 days after their confirmation."""
    return sum(
        _one_transaction_each(lifecycle.requests_due_closing, lifecycle.close_request, _now(now))
    )

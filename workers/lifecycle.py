"""Periodic jobs of a request's life: expire and re-match, remind, close.

Each job takes an optional ISO timestamp (tests freeze the clock with it; the cron scheduler
passes nothing) and commits one request or offer at a time, so one failure never holds back
the rest and a crash half-way loses nothing: the next run picks up what is left.
"""

from datetime import datetime

from matcher import lifecycle
from matcher.db import transaction
from matcher.models import utcnow
from workers.runtime import with_app_context

# How often `certmatch cron` runs each of these jobs.
INTERVAL_SECONDS = 300


def _now(now: datetime | str | None) -> datetime:
    if now is None:
        return utcnow()
    return datetime.fromisoformat(now) if isinstance(now, str) else now


@with_app_context
def expire_offers(now: datetime | str | None = None) -> list[int]:
    """Expire unanswered offers past their window and re-match their requests."""
    moment = _now(now)
    with transaction() as session:
        due = lifecycle.requests_with_expired_offers(session, now=moment)
    expired = []
    for request_id in due:
        with transaction() as session:
            expired += lifecycle.expire_request_offers(session, request_id, now=moment)
    return expired


@with_app_context
def send_reminders(now: datetime | str | None = None) -> int:
    """Remind providers whose leads expire soon."""
    moment = _now(now)
    with transaction() as session:
        due = lifecycle.offers_due_reminder(session, now=moment)
    sent = 0
    for offer_id in due:
        with transaction() as session:
            sent += lifecycle.remind(session, offer_id, now=moment)
    return sent


@with_app_context
def close_requests(now: datetime | str | None = None) -> int:
    """Close requests 30 days after their confirmation."""
    moment = _now(now)
    with transaction() as session:
        due = lifecycle.requests_due_closing(session, now=moment)
    closed = 0
    for request_id in due:
        with transaction() as session:
            closed += lifecycle.close_request(session, request_id, now=moment)
    return closed

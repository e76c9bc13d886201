"""Send outbox mail: at most once per row, even when the job runs twice."""

import logging
import time
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, or_, select, update

from matcher.businesses.retention import MAIL_PURGED
from matcher.db import database_unreachable, transaction
from matcher.dispatch import job_is_running
from matcher.mailer import deliver, smtp_configured
from matcher.models import OutboxMessage, OutboxStatus, utcnow
from workers.runtime import with_app_context

log = logging.getLogger(__name__)

SENDING = "sending"
# A claim older than this belonged to a worker that died mid-send, whatever Redis says: no
# mail job outlives RQ's timeout (180 s) and the horse monitor's kill a minute after it.
STALE_CLAIM = timedelta(minutes=5)
# After a refused attempt the next waits 1, 2, 4 ... minutes, then an hour each, until
# MAIL_RETRY_HOURS after the mail was written: an SMTP outage of a day loses nothing.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# How long a worker keeps trying to record a delivered mail while the database is unreachable:
# well inside the mail job's RQ timeout (180 s), longer than a restart or a failover takes.
RECORD_SENT_PATIENCE = timedelta(seconds=90)


@with_app_context
def send_mail(message_id: int) -> str:
    """Deliver outbox message `message_id` unless it was already sent; return what happened."""
    if not smtp_configured():
        with transaction() as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
                .values(status="held")
            )
        return "held"
    claim = _claim(message_id)
    if claim is None:
        return "skipped"
    with transaction() as session:
        message = session.get(OutboxMessage, message_id)
    if message.status != SENDING:
        # The request's data was purged since the claim: its mail never leaves.
        return "purged"
    try:
        deliver(message)
    except Exception as exc:
        # Pending again, the sweeper tries it after its wait; failed once the window is over.
        given_up = utcnow() - message.created_at >= retry_window()
        status = OutboxStatus.FAILED if given_up else OutboxStatus.PENDING
        if not _finish(message_id, claim, status=status, last_error=_error_text(exc)):
            # Not ours any more: not retried by us, and the error (it may quote the address)
            # is dropped. A purge keeps its mark; a newer claim reports its own outcome.
            outcome = _lost_claim(message_id)
            log.warning("mail %s not delivered and %s meanwhile", message_id, outcome)
            return outcome
        log.warning(
            "mail %s not delivered (%s): %s",
            message_id,
            "given up" if given_up else f"attempt {message.attempts}, will retry",
            type(exc).__name__,
        )
        raise
    if not _record_sent(message_id, claim):
        # Delivered, but after the sweeper handed the row to another worker (a send longer
        # than STALE_CLAIM): that worker's result stands, even if it is a second copy.
        log.warning("mail %s delivered after its claim went stale", message_id)
    return "sent"


def _record_sent(message_id: int, claim: datetime) -> bool:
    """Mark a delivered mail sent, waiting out a database that went away meanwhile.

    The SMTP server has it: a job failing now would leave the row `sending`, and the sweeper
    would send a second copy. So a lost connection (a PostgreSQL restart, a failover) is
    retried for up to RECORD_SENT_PATIENCE before the job gives up.
    """
    deadline = time.monotonic() + RECORD_SENT_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            return _finish(
                message_id, claim, status=OutboxStatus.SENT, sent_at=utcnow(), last_error=None
            )
        except DBAPIError as exc:
            if not database_unreachable(exc) or time.monotonic() + pause > deadline:
                raise
            log.warning("mail %s delivered; database unreachable, recording it again", message_id)
            time.sleep(pause)
            pause = min(pause * 2, 8.0)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _claim(message_id: int) -> datetime | None:
    """Claim the row for this worker; return the claim's time, its token, or None if taken."""
    # A conditional UPDATE is atomic: of two workers running the same job, one wins.
    now = utcnow()
    with transaction() as session:
        claimed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
            .values(
                status=SENDING,
                enqueued_at=now,
                attempts=OutboxMessage.attempts + 1,
            )
        )
        return now if claimed.rowcount == 1 else None


def _finish(message_id: int, claim: datetime, **values) -> bool:
    """Record the send's outcome if the row is still under this worker's claim."""
    # The purge may have marked the row since, and its mark stays; or the sweeper found the
    # claim stale and another worker holds a newer one, whose result is not ours to overwrite.
    # Put back to pending with our claim's time still on it, the row is ours: nobody took it.
    with transaction() as session:
        finished = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .where(col(OutboxMessage.status).in_([SENDING, OutboxStatus.PENDING]))
            .where(col(OutboxMessage.enqueued_at) == claim)
            .values(**values)
        )
        return finished.rowcount == 1


def _lost_claim(message_id: int) -> str:
    """What took the row from this worker: "purged", or "reclaimed" by a newer claim."""
    with transaction() as session:
        status = session.exec(
            select(OutboxMessage.status).where(OutboxMessage.id == message_id)
        ).one()
    return "purged" if status == MAIL_PURGED else "reclaimed"


def stale_sending_ids(now: datetime) -> list[tuple[int, datetime]]:
    """Messages claimed by a worker that is no longer sending them, each with its claim.

    A claim is stale as soon as its RQ job runs on no live worker (failed, missing, or left
    by a worker that died); while Redis cannot tell, only once it is STALE_CLAIM old.
    """
    with transaction() as session:
        claims = session.exec(
            select(OutboxMessage.id, OutboxMessage.enqueued_at)
            .where(OutboxMessage.status == SENDING)
            .order_by(OutboxMessage.id)
        ).all()
    # Redis is asked outside the transaction, which on SQLite holds the write lock.
    stale = [(message_id, claim) for message_id, claim in claims if claim < now - STALE_CLAIM]
    try:
        stale += [
            (message_id, claim)
            for message_id, claim in claims
            if claim >= now - STALE_CLAIM and not job_is_running("mail", message_id)
        ]
    except (RedisError, OSError) as exc:
        log.warning("queue unavailable, only claims older than %s freed: %s", STALE_CLAIM, exc)
    return stale


def retry_window() -> timedelta:
    """How long after it was written a refused mail is still tried again."""
    return timedelta(hours=current_app.config["MAIL_RETRY_HOURS"])


def retry_delay(attempts: int) -> timedelta:
    """How long a mail waits after its `attempts`-th refused attempt."""
    doublings = min(attempts - 1, 16)  # past an hour anyway; keeps the timedelta small
    return min(FIRST_RETRY * 2**doublings, LONGEST_RETRY)


# From this many attempts on, every wait is LONGEST_RETRY.
_STEADY_AFTER = next(n for n in range(1, 64) if retry_delay(n) == LONGEST_RETRY)


def retry_due(now: datetime) -> ColumnElement[bool]:
    """SQL: a mail attempted before whose wait after its last attempt (enqueued_at) is over."""
    attempts, last = col(OutboxMessage.attempts), col(OutboxMessage.enqueued_at)
    # One term per wait, so the sweeper's query stays portable and uses no date arithmetic.
    waits = [(attempts == n) & (last < now - retry_delay(n)) for n in range(1, _STEADY_AFTER)]
    return or_(*waits, (attempts >= _STEADY_AFTER) & (last < now - LONGEST_RETRY))

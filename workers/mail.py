"""Send outbox mail: at most once per row, even when the job runs twice."""

import logging
from datetime import timedelta

from sqlmodel import col, select, update

from matcher.db import transaction
from matcher.mailer import deliver, smtp_configured
from matcher.models import OutboxMessage, OutboxStatus, utcnow
from workers.runtime import with_app_context

log = logging.getLogger(__name__)

SENDING = "sending"
# A claim older than this belonged to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=5)


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
    if not _claim(message_id):
        return "skipped"
    with transaction() as session:
        message = session.get(OutboxMessage, message_id)
    if message.status != SENDING:
        # The request's data was purged since the claim: its mail never leaves.
        return "purged"
    try:
        deliver(message)
    except Exception as exc:
        if not _finish(message_id, status=OutboxStatus.FAILED, last_error=_error_text(exc)):
            # Purged meanwhile: not retried, and the error (it may quote the address) is dropped.
            log.warning("mail %s not delivered and purged meanwhile", message_id)
            return "purged"
        log.warning("mail %s not delivered: %s", message_id, type(exc).__name__)
        raise
    _finish(message_id, status=OutboxStatus.SENT, sent_at=utcnow(), last_error=None)
    return "sent"


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _claim(message_id: int) -> bool:
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
        return claimed.rowcount == 1


def _finish(message_id: int, **values) -> bool:
    # Only over our own claim: the purge may have marked the row since, and its mark stays.
    with transaction() as session:
        finished = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .where(col(OutboxMessage.status) == SENDING)
            .values(**values)
        )
        return finished.rowcount == 1


def stale_sending_ids(session, now) -> list[int]:
    """Messages claimed by a worker that never finished."""
    return list(
        session.exec(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == SENDING)
            .where(col(OutboxMessage.enqueued_at) < now - STALE_CLAIM)
        )
    )

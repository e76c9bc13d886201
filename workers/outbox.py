"""Run outbox jobs once, and sweep what Redis lost back onto the queues."""

import importlib
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import col, or_, select, update

from matcher.db import transaction
from matcher.dispatch import enqueue_outbox_rows
from matcher.models import OutboxJob, OutboxMessage, OutboxStatus, utcnow
from workers.mail import SENDING, retry_due, stale_sending_ids
from workers.runtime import with_app_context

log = logging.getLogger(__name__)

# Only these may be named by an outbox row: a row is data, not code to import at will.
JOB_FUNCTIONS = {
    "match_request": "workers.matching.match_request",
    "rematch_request": "workers.matching.rematch_request",
    "release_leads": "workers.matching.release_leads",
}
MAX_JOB_ATTEMPTS = 10
SWEEP_BATCH = 500


@with_app_context
def run_outbox_job(job_row_id: int) -> str:
    """Run the job an outbox row describes, unless it already ran."""
    with transaction() as session:
        row = session.get(OutboxJob, job_row_id)
        if row is None or row.status == OutboxStatus.DONE:
            return "skipped"
        func_path, args = JOB_FUNCTIONS[row.func], list(row.args)
        session.exec(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job_row_id)
            .values(attempts=OutboxJob.attempts + 1, enqueued_at=utcnow())
        )
    module_name, _, func_name = func_path.rpartition(".")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        func(*args)
    except Exception as exc:
        with transaction() as session:
            session.exec(
                update(OutboxJob)
                .where(col(OutboxJob.id) == job_row_id)
                .values(last_error=f"{type(exc).__name__}: {exc}"[:500])
            )
        raise
    with transaction() as session:
        session.exec(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job_row_id)
            .values(status=OutboxStatus.DONE, done_at=utcnow(), last_error=None)
        )
    return "done"


@with_app_context
def sweep_outbox() -> dict[str, int]:
    """Re-enqueue mail and jobs still pending a minute after they were written.

    A mail refused before is re-enqueued once its wait after the last attempt is over; one
    whose worker died mid-send at once: a kill is no refusal, and waits no backoff step.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["OUTBOX_SWEEP_AFTER_SECONDS"])
    freed = _free_claims(stale_sending_ids(now))
    with transaction() as session:
        never_tried = (col(OutboxMessage.attempts) == 0) & or_(
            col(OutboxMessage.enqueued_at).is_(None), col(OutboxMessage.enqueued_at) < cutoff
        )
        due = session.exec(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .where(col(OutboxMessage.created_at) < cutoff)
            .where(or_(never_tried, retry_due(now)))
            .order_by(OutboxMessage.id)
            .limit(SWEEP_BATCH)
        ).all()
        job_ids = session.exec(
            select(OutboxJob.id)
            .where(OutboxJob.status == OutboxStatus.PENDING)
            .where(col(OutboxJob.attempts) < MAX_JOB_ATTEMPTS)
            .where(col(OutboxJob.created_at) < cutoff)
            .where(or_(col(OutboxJob.enqueued_at).is_(None), col(OutboxJob.enqueued_at) < cutoff))
            .order_by(OutboxJob.id)
            .limit(SWEEP_BATCH)
        ).all()
    mail_ids = list(dict.fromkeys([*freed, *due]))  # the freed first, each once
    rows = [("mail", i) for i in mail_ids] + [("job", i) for i in job_ids]
    queued = enqueue_outbox_rows(rows)
    if rows:
        log.info("outbox sweep: %d of %d rows re-enqueued", queued, len(rows))
    return {"mail": len(mail_ids), "jobs": len(job_ids), "queued": queued}


def _free_claims(claims: list[tuple[int, datetime]]) -> list[int]:
    """Put back to pending each message still under the stale claim; return their ids."""
    freed = []
    with transaction() as session:
        for message_id, claim in claims:
            # Matched on the claim too: a row claimed again since it was looked at stays.
            result = session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .where(col(OutboxMessage.status) == SENDING)
                .where(col(OutboxMessage.enqueued_at) == claim)
                .values(status=OutboxStatus.PENDING)
            )
            if result.rowcount == 1:
                freed.append(message_id)
    return freed

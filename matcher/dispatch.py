"""Hand outbox rows to RQ; if Redis is down the rows wait for the sweeper."""

import logging

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from matcher.queue import get_queue, get_redis

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
JOB_QUEUE = "default"


def rq_job_id(kind: str, row_id: int) -> str:
    """The RQ job id for an outbox row: stable, so a row is never queued twice at once."""
    return f"outbox-{kind}-{row_id}"


def enqueue_outbox_rows(rows: list[tuple[str, int]]) -> int:
    """Enqueue each (kind, id) row; return how many reached Redis."""
    sent = 0
    for kind, row_id in rows:
        try:
            if enqueue_row(kind, row_id):
                sent += 1
        except (RedisError, OSError) as exc:
            # The row stays pending in the database; the sweeper retries it.
            log.warning(
                "queue unavailable, outbox %s %s left for the sweeper: %s",
                kind,
                row_id,
                type(exc).__name__,
            )
            break
    return sent


def enqueue_row(kind: str, row_id: int) -> bool:
    """Put one outbox row on its queue unless it is already waiting or running there."""
    job_id = rq_job_id(kind, row_id)
    connection = get_redis()
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    except NoSuchJobError:
        status = None
    if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return False
    if kind == "mail":
        get_queue(MAIL_QUEUE).enqueue(
            "workers.mail.send_mail", row_id, job_id=job_id, result_ttl=600, failure_ttl=86400
        )
    else:
        get_queue(JOB_QUEUE).enqueue(
            "workers.outbox.run_outbox_job",
            row_id,
            job_id=job_id,
            result_ttl=600,
            failure_ttl=86400,
            job_timeout=600,
        )
    return True

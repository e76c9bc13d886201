"""Hand outbox rows to RQ; if Redis is down the rows wait for the sweeper."""

import logging

from redis.exceptions import RedisError
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import current_timestamp

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
        job = Job.fetch(job_id, connection=connection)
        status = job.get_status()
    except NoSuchJobError:
        job, status = None, None
    if status == JobStatus.STARTED and _abandoned(job):
        # Its worker died mid-job. RQ's own clean-up would free it only once a worker runs
        # its maintenance; the row's claim (mail) or idempotence (jobs) makes a rerun safe.
        log.warning("outbox %s %s: its worker died mid-job, queued again", kind, row_id)
        _forget_runs(job)
    elif status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
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


def _runs(job: Job) -> list[tuple[bytes, float]]:
    """The job's entries in its queue's started registry: (member, heartbeat deadline)."""
    registry = job.started_job_registry
    # Members are "<job id>:<execution id>"; our job ids hold no glob characters.
    return list(job.connection.zscan_iter(registry.key, match=f"{job.id}:*"))


def _abandoned(job: Job) -> bool:
    """Tell whether a started job's worker is gone or its heartbeat deadline has passed."""
    worker_key = Worker.redis_worker_namespace_prefix + (job.worker_name or "")
    # A worker's key expires soon after it stops beating; a clean death is marked in it.
    if not job.worker_name or not job.connection.exists(worker_key):
        return True
    if job.connection.hexists(worker_key, "death"):
        return True
    now = current_timestamp()
    return not any(deadline > now for _, deadline in _runs(job))


def _forget_runs(job: Job) -> None:
    """Drop the dead run from the started registry, so RQ's clean-up never fails the rerun."""
    members = [member for member, _ in _runs(job)]
    if members:
        job.connection.zrem(job.started_job_registry.key, *members)

"""Hand outbox rows to RQ; if Redis is down the rows wait for the sweeper."""

import contextlib
import logging

from redis import Redis
from redis.exceptions import LockError, RedisError
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.utils import current_timestamp

from matcher.queue import get_queue, get_redis

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
JOB_QUEUE = "default"
# A job seen off its queue and not started is given this long before it counts as lost: a
# live worker passes through that state for the instant between its pop and its start.
POPPED_GRACE_SECONDS = 5
POPPED_KEY = "certmatch:popped:{}"
ENQUEUE_LOCK_KEY = "certmatch:enqueue:{}"


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
    # Two sweeps at once (one outlasting the interval) would otherwise both find the job
    # lost and push it twice; the loser leaves it to the winner.
    lock = connection.lock(ENQUEUE_LOCK_KEY.format(job_id), timeout=30)
    if not lock.acquire(blocking=False):
        return False
    try:
        if _held(kind, row_id, connection):
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
        connection.delete(POPPED_KEY.format(job_id))
        return True
    finally:
        with contextlib.suppress(LockError):
            lock.release()


def job_is_running(kind: str, row_id: int) -> bool:
    """Tell whether the row's RQ job runs now, or is about to, on a live worker."""
    try:
        job = Job.fetch(rq_job_id(kind, row_id), connection=get_redis())
    except NoSuchJobError:
        return False
    return _runs_live(job, _runs(job))


def _held(kind: str, row_id: int, connection: Redis) -> bool:
    """Tell whether the row's job waits on its queue or runs on a live worker.

    Otherwise the job is missing, ended, or was left by a worker that died while running it
    or after taking it off the queue (RQ keeps no copy of a popped job, and its status stays
    `queued`): what the dead worker left behind is cleared for the rerun.
    """
    try:
        job = Job.fetch(rq_job_id(kind, row_id), connection=connection)
    except NoSuchJobError:
        return False
    runs = _runs(job)
    if _runs_live(job, runs) or _on_queue(job, MAIL_QUEUE if kind == "mail" else JOB_QUEUE):
        return True
    status = job.get_status()
    if status in (JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return True
    if status == JobStatus.QUEUED and not runs:
        if not _popped_long_ago(connection, job.id):
            return True
        log.warning(
            "outbox %s %s: taken off its queue by a worker that died, queued again", kind, row_id
        )
    elif status == JobStatus.STARTED or runs:
        # Its worker died mid-job. RQ's own clean-up would free it only once a worker runs
        # its maintenance; the row's claim (mail) or idempotence (jobs) makes a rerun safe.
        log.warning("outbox %s %s: its worker died mid-job, queued again", kind, row_id)
    _forget_runs(job, runs)
    return False


def _on_queue(job: Job, queue_name: str) -> bool:
    """Tell whether the job id waits on its queue, or on RQ's intermediate list of it."""
    queue = Queue(queue_name, connection=job.connection)
    connection = job.connection
    return (
        connection.lpos(queue.key, job.id) is not None
        or connection.lpos(queue.intermediate_queue_key, job.id) is not None
    )


def _popped_long_ago(connection: Redis, job_id: str) -> bool:
    """Tell whether an earlier look, POPPED_GRACE_SECONDS ago or more, found it popped too."""
    seconds, _ = connection.time()  # the server's clock: sweeps may run on several hosts
    key = POPPED_KEY.format(job_id)
    if connection.set(key, seconds, nx=True, ex=3600):
        return False
    return seconds - int(connection.get(key) or seconds) >= POPPED_GRACE_SECONDS


def _runs(job: Job) -> list[tuple[bytes, float]]:
    """The job's entries in its queue's started registry: (member, heartbeat deadline)."""
    registry = job.started_job_registry
    # Members are "<job id>:<execution id>"; our job ids hold no glob characters.
    return list(job.connection.zscan_iter(registry.key, match=f"{job.id}:*"))


def _runs_live(job: Job, runs: list[tuple[bytes, float]]) -> bool:
    """Tell whether one of the runs has a live worker and its heartbeat deadline ahead."""
    now = current_timestamp()
    for member, deadline in runs:
        if deadline <= now:
            continue
        execution_id = member.decode().rpartition(":")[2]
        key = Execution(execution_id, job.id, job.connection).key
        worker_name = job.connection.hget(key, "worker_name") or job.worker_name
        if worker_name and _worker_alive(job.connection, _text(worker_name)):
            return True
    return False


def _worker_alive(connection: Redis, worker_name: str) -> bool:
    # A worker's key expires soon after it stops beating; a clean death is marked in it.
    key = Worker.redis_worker_namespace_prefix + worker_name
    return bool(connection.exists(key)) and not connection.hexists(key, "death")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _forget_runs(job: Job, runs: list[tuple[bytes, float]]) -> None:
    """Drop the dead runs from the started registry, so RQ's clean-up never fails the rerun."""
    if runs:
        job.connection.zrem(job.started_job_registry.key, *[member for member, _ in runs])

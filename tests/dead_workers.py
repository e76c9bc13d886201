"""Play an RQ worker's part with an outbox row's job: pop it, start it, die, miss a heartbeat."""

import time

from rq import Queue, SimpleWorker
from rq.job import Job

from matcher.dispatch import JOB_QUEUE, MAIL_QUEUE, rq_job_id
from matcher.queue import get_redis


def _queue(kind: str) -> Queue:
    return Queue(MAIL_QUEUE if kind == "mail" else JOB_QUEUE, connection=get_redis())


def pop(app, kind: str, row_id: int, worker_name: str | None = None) -> SimpleWorker | None:
    """Take the row's job off its queue as RQ's BLPOP does; with a worker name, prepare its run.

    RQ's worker creates the run (the started registry's entry) right after the pop, and the
    work-horse marks the job `started` only later: between the two the status stays `queued`.
    """
    with app.app_context():
        connection = get_redis()
        queue = _queue(kind)
        job_id = rq_job_id(kind, row_id)
        assert connection.lrem(queue.key, 1, job_id) == 1
        if worker_name is None:
            return None
        worker = SimpleWorker([queue], connection=connection, name=worker_name)
        worker.register_birth()
        worker.prepare_execution(Job.fetch(job_id, connection=connection))
        return worker


def take(app, kind: str, row_id: int, worker_name: str) -> SimpleWorker:
    """Let a worker dequeue the row's job and start it, as RQ does, and leave it running."""
    worker = pop(app, kind, row_id, worker_name)
    with app.app_context():
        connection = get_redis()
        job = Job.fetch(rq_job_id(kind, row_id), connection=connection)
        with connection.pipeline() as pipeline:
            job.prepare_for_execution(worker.name, pipeline)
            pipeline.execute()
        assert job.get_status() == "started"
        return worker


def dies(app, worker: SimpleWorker) -> None:
    """The machine under the worker is gone: no death registered, its keys simply expire."""
    with app.app_context():
        get_redis().delete(worker.key)


def heartbeat_stops(app, kind: str, row_id: int) -> None:
    """The job's execution missed its heartbeat deadline a minute ago."""
    with app.app_context():
        connection = get_redis()
        job = Job.fetch(rq_job_id(kind, row_id), connection=connection)
        registry = job.started_job_registry
        for member, _ in connection.zscan_iter(registry.key, match=f"{job.id}:*"):
            connection.zadd(registry.key, {member: time.time() - 60})


def queued(app) -> list[str]:
    """The job ids waiting on the app's queues, in order."""
    with app.app_context():
        return [job_id for kind in ("mail", "job") for job_id in _queue(kind).get_job_ids()]

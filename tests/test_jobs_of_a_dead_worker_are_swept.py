"""A job left `started` by a worker that died is queued again by the sweeper; a live one never."""

import time
from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlmodel import select, update

from matcher.dispatch import JOB_QUEUE, MAIL_QUEUE, enqueue_row, rq_job_id
from matcher.models import OutboxJob, OutboxMessage, OutboxStatus, utcnow
from matcher.outbox import queue_job
from matcher.queue import get_redis
from tests.burst_worker import drain
from tests.factories import request_form
from tests.page_helpers import submit
from workers.mail import SENDING
from workers.outbox import sweep_outbox

LONG_AGO = timedelta(minutes=10)


@pytest.fixture
def jobs(app):
    return lambda: drain(app)


def _take(app, kind: str, row_id: int, worker_name: str) -> SimpleWorker:
    """Let a worker dequeue the row's job and start it, as RQ does, and leave it running."""
    with app.app_context():
        connection = get_redis()
        queue = Queue(MAIL_QUEUE if kind == "mail" else JOB_QUEUE, connection=connection)
        job = Job.fetch(rq_job_id(kind, row_id), connection=connection)
        worker = SimpleWorker([queue], connection=connection, name=worker_name)
        worker.register_birth()
        queue.remove(job)
        worker.prepare_execution(job)
        with connection.pipeline() as pipeline:
            job.prepare_for_execution(worker.name, pipeline)
            pipeline.execute()
        assert job.get_status() == "started"
        return worker


def _dies(app, worker: SimpleWorker) -> None:
    """The machine under the worker is gone: no death registered, its keys simply expire."""
    with app.app_context():
        get_redis().delete(worker.key)


def _heartbeat_stops(app, kind: str, row_id: int) -> None:
    """The job's execution missed its heartbeat deadline a minute ago."""
    with app.app_context():
        connection = get_redis()
        job = Job.fetch(rq_job_id(kind, row_id), connection=connection)
        registry = job.started_job_registry
        for member, _ in connection.zscan_iter(registry.key, match=f"{job.id}:*"):
            connection.zadd(registry.key, {member: time.time() - 60})


def _queued(app) -> int:
    with app.app_context():
        return sum(Queue(name, connection=get_redis()).count for name in (MAIL_QUEUE, JOB_QUEUE))


def _mail_claimed_long_ago(client, db) -> int:
    """A confirmation mail whose worker claimed it ten minutes ago and never finished."""
    submit(client, "/quote", request_form())
    db.expire_all()
    message_id = db.exec(select(OutboxMessage.id)).one()
    past = utcnow() - LONG_AGO
    db.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENDING, attempts=1, created_at=past, enqueued_at=past)
    )
    db.commit()
    return message_id


@pytest.mark.parametrize("death", ["worker gone", "heartbeat stale"])
def test_a_mail_whose_worker_died_mid_send_is_sent_by_the_next_worker(
    app, client, db, jobs, smtp_sink, death
):
    message_id = _mail_claimed_long_ago(client, db)
    worker = _take(app, "mail", message_id, "died-mid-send")
    if death == "worker gone":
        _dies(app, worker)
    else:
        _heartbeat_stops(app, "mail", message_id)

    with app.app_context():
        assert sweep_outbox()["queued"] == 1
    jobs()

    assert len(smtp_sink.wait_for(1)) == 1
    db.expire_all()
    row = db.get(OutboxMessage, message_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_a_job_whose_worker_died_runs_again(app, db, jobs):
    job_row = queue_job(db, func="release_leads", args=[[]], dedupe_key="release:test")
    db.commit()
    job_id = job_row.id
    past = utcnow() - LONG_AGO
    db.exec(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(attempts=1, created_at=past, enqueued_at=past)
    )
    db.commit()
    _dies(app, _take(app, "job", job_id, "died-mid-job"))

    with app.app_context():
        assert sweep_outbox()["queued"] == 1
    jobs()

    db.expire_all()
    assert db.get(OutboxJob, job_id).status == OutboxStatus.DONE


def test_a_job_running_on_a_live_worker_is_never_queued_twice(app, client, db, jobs, smtp_sink):
    message_id = _mail_claimed_long_ago(client, db)  # a slow SMTP server, say
    _take(app, "mail", message_id, "still-sending")

    with app.app_context():
        assert sweep_outbox()["queued"] == 0
        assert enqueue_row("mail", message_id) is False
    assert _queued(app) == 0


def test_rqs_own_clean_up_of_the_dead_run_leaves_the_rerun_alone(app, client, db):
    message_id = _mail_claimed_long_ago(client, db)
    _dies(app, _take(app, "mail", message_id, "died-mid-send"))
    _heartbeat_stops(app, "mail", message_id)
    with app.app_context():
        assert enqueue_row("mail", message_id) is True
    _take(app, "mail", message_id, "sending-again")
    with app.app_context():
        job = Job.fetch(rq_job_id("mail", message_id), connection=get_redis())
        job.started_job_registry.cleanup()  # what a worker's maintenance runs every minute
        assert job.get_status() == "started"

"""A job left `started` by a worker that died is queued again by the sweeper; a live one never."""

from datetime import timedelta

import pytest
from rq.job import Job
from sqlmodel import select, update

from matcher.dispatch import enqueue_row, rq_job_id
from matcher.models import OutboxJob, OutboxMessage, OutboxStatus, utcnow
from matcher.outbox import queue_job
from matcher.queue import get_redis
from tests.burst_worker import drain
from tests.dead_workers import dies, heartbeat_stops, queued, take
from tests.factories import request_form
from tests.page_helpers import submit
from workers.mail import SENDING
from workers.outbox import sweep_outbox

LONG_AGO = timedelta(minutes=10)
A_MOMENT_AGO = timedelta(seconds=10)


@pytest.fixture
def jobs(app):
    return lambda: drain(app)


def _mail_claimed(client, db, ago: timedelta = LONG_AGO) -> int:
    """A confirmation mail, written long ago, whose worker claimed it `ago` and never finished."""
    submit(client, "/quote", request_form())
    db.expire_all()
    message_id = db.exec(select(OutboxMessage.id)).one()
    db.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENDING, attempts=1, created_at=utcnow() - LONG_AGO)
        .values(enqueued_at=utcnow() - ago)
    )
    db.commit()
    return message_id


def _row(db, message_id: int) -> tuple[str, int]:
    db.expire_all()
    row = db.get(OutboxMessage, message_id)
    status, attempts = row.status, row.attempts
    db.rollback()
    return status, attempts


def _failed_by_rqs_clean_up(app, message_id: int) -> None:
    """The worker died; a live worker's maintenance found its run lapsed and failed the job."""
    dies(app, take(app, "mail", message_id, "died-mid-send"))
    heartbeat_stops(app, "mail", message_id)
    with app.app_context():
        job = Job.fetch(rq_job_id("mail", message_id), connection=get_redis())
        job.started_job_registry.cleanup()
        assert job.get_status() == "failed"


def _lost_by_redis(app, message_id: int) -> None:
    """Redis restarted without its data while the worker was sending: no trace of the job."""
    dies(app, take(app, "mail", message_id, "died-mid-send"))
    with app.app_context():
        connection = get_redis()
        job = Job.fetch(rq_job_id("mail", message_id), connection=connection)
        connection.delete(job.key, job.started_job_registry.key)


@pytest.mark.parametrize("death", ["worker gone", "heartbeat stale"])
def test_a_mail_whose_worker_died_mid_send_is_sent_by_the_next_worker(
    app, client, db, jobs, smtp_sink, death
):
    message_id = _mail_claimed(client, db)
    worker = take(app, "mail", message_id, "died-mid-send")
    if death == "worker gone":
        dies(app, worker)
    else:
        heartbeat_stops(app, "mail", message_id)

    with app.app_context():
        assert sweep_outbox()["queued"] == 1
    jobs()

    assert len(smtp_sink.wait_for(1)) == 1
    assert _row(db, message_id) == (OutboxStatus.SENT, 2)


@pytest.mark.parametrize(
    "death",
    [
        lambda app, message_id: dies(app, take(app, "mail", message_id, "died-mid-send")),
        _failed_by_rqs_clean_up,
        _lost_by_redis,
    ],
    ids=["worker gone", "job failed", "job lost"],
)
def test_a_mail_killed_mid_send_a_moment_ago_is_sent_again_at_once(
    app, client, db, jobs, smtp_sink, death
):
    # Neither STALE_CLAIM (5 minutes) nor a retry's wait (a minute after the claim) has passed:
    # the claim's job runs nowhere, so the row is free, and a kill is no SMTP refusal.
    message_id = _mail_claimed(client, db, ago=A_MOMENT_AGO)
    death(app, message_id)

    with app.app_context():
        assert sweep_outbox() == {"mail": 1, "jobs": 0, "queued": 1}
    jobs()

    assert len(smtp_sink.wait_for(1)) == 1
    assert _row(db, message_id) == (OutboxStatus.SENT, 2)


def test_a_mail_being_sent_by_a_live_worker_keeps_its_claim(app, client, db, smtp_sink):
    message_id = _mail_claimed(client, db, ago=A_MOMENT_AGO)  # a slow SMTP server, say
    take(app, "mail", message_id, "still-sending")

    with app.app_context():
        assert sweep_outbox() == {"mail": 0, "jobs": 0, "queued": 0}
    assert _row(db, message_id) == (SENDING, 1)
    assert queued(app) == []


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
    dies(app, take(app, "job", job_id, "died-mid-job"))

    with app.app_context():
        assert sweep_outbox()["queued"] == 1
    jobs()

    db.expire_all()
    assert db.get(OutboxJob, job_id).status == OutboxStatus.DONE


def test_a_job_running_on_a_live_worker_is_never_queued_twice(app, client, db, jobs, smtp_sink):
    message_id = _mail_claimed(client, db)  # past STALE_CLAIM, yet its worker still runs it
    take(app, "mail", message_id, "still-sending")

    with app.app_context():
        assert sweep_outbox()["queued"] == 0
        assert enqueue_row("mail", message_id) is False
    assert queued(app) == []


def test_rqs_own_clean_up_of_the_dead_run_leaves_the_rerun_alone(app, client, db):
    message_id = _mail_claimed(client, db)
    dies(app, take(app, "mail", message_id, "died-mid-send"))
    heartbeat_stops(app, "mail", message_id)
    with app.app_context():
        assert enqueue_row("mail", message_id) is True
    take(app, "mail", message_id, "sending-again")
    with app.app_context():
        job = Job.fetch(rq_job_id("mail", message_id), connection=get_redis())
        job.started_job_registry.cleanup()  # what a worker's maintenance runs every minute
        assert job.get_status() == "started"

"""A job a worker took off its queue and died before starting is queued again, once.

RQ's BLPOP keeps no copy of a popped job and leaves its status `queued`: only the queue itself
tells that it waits nowhere. A live worker passes through that state too, for the instant
between its pop and its start, so a job counts as lost only when two sweeps a few seconds
apart both find it so.
"""

from datetime import timedelta

import pytest
from sqlmodel import select, update

from matcher.dispatch import ENQUEUE_LOCK_KEY, POPPED_KEY, enqueue_row, rq_job_id
from matcher.models import OutboxJob, OutboxMessage, OutboxStatus, utcnow
from matcher.outbox import queue_job
from matcher.queue import get_redis
from tests.burst_worker import drain
from tests.dead_workers import pop, queued
from tests.factories import request_form
from tests.page_helpers import submit
from workers.outbox import sweep_outbox

LONG_AGO = timedelta(minutes=10)


@pytest.fixture
def jobs(app):
    return lambda: drain(app)


def _queued_row(kind: str, client, db) -> int:
    """A mail or a job row, written and queued long ago, never run."""
    if kind == "mail":
        submit(client, "/quote", request_form())
        model = OutboxMessage
    else:
        queue_job(db, func="release_leads", args=[[]], dedupe_key="release:test")
        db.commit()
        model = OutboxJob
    db.expire_all()
    row_id = db.exec(select(model.id)).one()
    db.exec(update(model).values(created_at=utcnow() - LONG_AGO))
    db.commit()
    return row_id


def _first_seen_long_ago(app, kind: str, row_id: int) -> None:
    """The sweep that first found the job off its queue ran a while ago."""
    with app.app_context():
        connection = get_redis()
        seconds, _ = connection.time()
        connection.set(POPPED_KEY.format(rq_job_id(kind, row_id)), seconds - 60)


def _status(db, kind: str, row_id: int) -> str:
    db.expire_all()
    status = db.get(OutboxMessage if kind == "mail" else OutboxJob, row_id).status
    db.rollback()
    return status


@pytest.mark.parametrize("kind", ["mail", "job"])
def test_a_job_a_dead_worker_took_off_its_queue_is_queued_again_and_runs(
    app, client, db, jobs, smtp_sink, kind
):
    row_id = _queued_row(kind, client, db)
    pop(app, kind, row_id)  # and the worker was killed before it created the run

    with app.app_context():
        assert sweep_outbox()["queued"] == 0, "a live worker may be about to start it"
    _first_seen_long_ago(app, kind, row_id)
    with app.app_context():
        assert sweep_outbox()["queued"] == 1
    assert queued(app) == [rq_job_id(kind, row_id)]
    jobs()

    assert _status(db, kind, row_id) in (OutboxStatus.SENT, OutboxStatus.DONE)


def test_a_job_a_live_worker_took_off_its_queue_is_left_to_it(app, client, db):
    row_id = _queued_row("mail", client, db)
    pop(app, "mail", row_id, worker_name="about-to-start")  # its run exists, not yet `started`

    with app.app_context():
        assert sweep_outbox()["queued"] == 0
        assert enqueue_row("mail", row_id) is False
    assert queued(app) == []


def test_a_job_waiting_on_its_queue_is_never_pushed_twice_whatever_its_status(app, client, db):
    row_id = _queued_row("mail", client, db)
    job_id = rq_job_id("mail", row_id)
    with app.app_context():
        # Say RQ failed it meanwhile (its clean-up of an intermediate list): it still waits.
        get_redis().hset(f"rq:job:{job_id}", "status", "failed")
        assert enqueue_row("mail", row_id) is False
        assert sweep_outbox()["queued"] == 0
    assert queued(app) == [job_id]


def test_a_row_another_sweep_is_queueing_this_moment_is_left_to_it(app, client, db):
    row_id = _queued_row("mail", client, db)
    pop(app, "mail", row_id)
    job_id = rq_job_id("mail", row_id)
    with app.app_context():
        connection = get_redis()
        connection.set(POPPED_KEY.format(job_id), 0)  # lost for a while: due to be queued
        with connection.lock(ENQUEUE_LOCK_KEY.format(job_id), timeout=30):
            assert enqueue_row("mail", row_id) is False
        assert enqueue_row("mail", row_id) is True
        assert enqueue_row("mail", row_id) is False
    assert queued(app) == [job_id]

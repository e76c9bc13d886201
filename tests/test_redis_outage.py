"""A Redis outage delays mail and matching but never loses them, and cron survives it.

The test stops a private redis-server it started on a free port, never the shared one.
"""

import subprocess
import sys
import time

import pytest
from sqlmodel import select

from matcher import queue
from matcher.embedded_redis import EmbeddedRedis, free_port
from matcher.links import request_token
from matcher.models import OutboxJob, OutboxMessage, QuoteRequest
from tests.factories import request_form
from tests.page_helpers import csrf_token, submit

pytestmark = pytest.mark.slow


def _spawn(command: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "matcher.cli", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen | None) -> None:
    # What this file proves is that nothing is lost; a warm shutdown slowed by a loaded
    # machine (RQ lets the running job finish) is not a failure of that, so it gets killed.
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_redis_outage_delays_mail_and_matching_but_loses_nothing(
    app, client, db, app_env, smtp_sink, tmp_path
):
    port = free_port()
    redis_server = EmbeddedRedis(directory=str(tmp_path / "redis"), port=port).start()
    app.config["REDIS_URL"] = redis_server.url
    queue.init_app(app)
    env = {
        **app_env,
        "REDIS_URL": redis_server.url,
        "OUTBOX_SWEEP_AFTER_SECONDS": "1",
        "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
    }
    cron = _spawn("cron", env)
    worker = None
    try:
        time.sleep(1.5)
        redis_server.stop()

        started = time.monotonic()
        assert submit(client, "/quote", request_form()).status_code == 303
        db.expire_all()
        public_id = db.exec(select(QuoteRequest.public_id)).one()
        db.rollback()
        with app.app_context():
            link = f"/r/{request_token(public_id)}"
        confirm = client.post(link, data={"csrf_token": csrf_token(client, link)})
        assert confirm.status_code == 303
        assert time.monotonic() - started < 10, "pages must not hang while Redis is down"
        assert client.get("/healthz").get_json() == {"database": True, "queue": False}
        db.expire_all()
        assert db.exec(select(QuoteRequest.status)).one() == "confirmed"
        assert db.exec(select(OutboxMessage.status)).one() == "pending"
        assert db.exec(select(OutboxJob.status)).one() == "pending"
        db.rollback()

        time.sleep(3)
        assert cron.poll() is None, "certmatch cron must survive the outage"

        redis_server = EmbeddedRedis(directory=str(tmp_path / "redis2"), port=port).start()
        worker = _spawn("worker", env)

        def delivered() -> bool:
            db.expire_all()
            job_status = db.exec(select(OutboxJob.status)).one()
            db.rollback()
            confirmations = [
                m for m in smtp_sink.messages if m["Subject"] == "Confirm your CertMatch request"
            ]
            return len(confirmations) == 1 and job_status == "done"

        assert _wait(delivered, timeout=90), "the sweeper must deliver the mail and the job"
        assert {m["To"] for m in smtp_sink.messages} == {"ann@acme.example"}
        assert cron.poll() is None
    finally:
        for process in (worker, cron):
            _stop(process)
        redis_server.stop()

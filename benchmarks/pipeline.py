"""Benchmark: N confirmed requests -> matched -> lead and quotes mails, with 1 and 3 workers.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m benchmarks.pipeline [--requests 300] [--workers 1,3]

For each worker count: a private PostgreSQL database seeded with the demo market (caps lifted,
so the last request finds providers as the first did) and a private Redis db number; W
`certmatch worker` processes (RQ's forking Worker) are started and warmed up with a no-op job,
then N pending requests like the demo business's are confirmed through
`quote_requests.confirm_request` (what the confirm POST runs), and the clock runs until every
request has left `confirmed` and the outbox holds no pending job or mail; the mails go to a
real aiosmtpd sink. Baseline, same workers in the same run: N no-op jobs
(`benchmarks.common.noop`) enqueued at once, timed until all finished.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid

os.environ.setdefault("CERTMATCH_TESTING", "1")

import redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import create_engine, func, update  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from benchmarks.common import (  # noqa: E402
    app_settings,
    claimed_redis_database,
    machine,
    throwaway_database,
)
from matcher import create_app  # noqa: E402
from matcher.businesses.quote_requests import confirm_request  # noqa: E402
from matcher.db import transaction  # noqa: E402
from matcher.demo.data import seed_demo  # noqa: E402
from matcher.demo.leads import DEMO_REQUEST  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402
from matcher.models import (  # noqa: E402
    OutboxJob,
    OutboxMessage,
    OutboxStatus,
    Provider,
    QuoteRequest,
    RequestStatus,
    rebuild_match_keys,
)
from tests.conftest import SMTPSink  # noqa: E402
from tests.factories import make_request  # noqa: E402


def _wait(predicate, timeout: float, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the work did not finish in time")
        time.sleep(poll)


def prepare(app, url: str, count: int) -> list[int]:
    """Seed the demo market, lift every cap, and write `count` pending requests."""
    seed_demo(app, known_logins=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        # Lifted so that matching does the same work for the thousandth request as the first.
        conn.execute(update(Provider).values(monthly_cap=1_000_000))
        rebuild_match_keys(conn)
    engine.dispose()
    fields = {k: v for k, v in DEMO_REQUEST.items() if k != "email"}
    ids = []
    with app.app_context(), transaction() as session:
        for index in range(count):
            email = f"pipe{index}-{uuid.uuid4().hex[:6]}@bench.example"
            ids.append(make_request(session, **{**fields, "email": email}).id)
    return ids


def pipeline_seconds(app, url: str, ids: list[int], timeout: float) -> float:
    """Confirm every request; seconds until all are matched and their mails sent."""
    engine = create_engine(url)

    def done() -> bool:
        with engine.connect() as conn:
            waiting = conn.execute(
                select(func.count())
                .select_from(QuoteRequest)
                .where(QuoteRequest.status == RequestStatus.CONFIRMED)
                .where(col(QuoteRequest.email).like("pipe%"))
            ).scalar_one()
            jobs = conn.execute(
                select(func.count())
                .select_from(OutboxJob)
                .where(OutboxJob.status == OutboxStatus.PENDING)
            ).scalar_one()
            mails = conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
            ).scalar_one()
        return waiting == jobs == mails == 0

    started = time.perf_counter()
    with app.app_context():
        for request_id in ids:
            with transaction() as session:  # one confirm POST's transaction each
                confirm_request(session, session.get(QuoteRequest, request_id))
    _wait(done, timeout, poll=0.2)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def noop_seconds(redis_url: str, count: int, timeout: float) -> float:
    """Enqueue `count` no-op jobs at once; seconds until every one has finished."""
    connection = redis.Redis.from_url(redis_url)
    queue = Queue("default", connection=connection)
    started = time.perf_counter()
    finished = queue.finished_job_registry
    before = finished.get_job_count()
    for _ in range(count):
        queue.enqueue("benchmarks.common.noop")
    _wait(lambda: finished.get_job_count() - before >= count, timeout, poll=0.05)
    return time.perf_counter() - started


def one_run(workers: int, count: int, sink: SMTPSink, timeout: float) -> dict:
    """Pipeline and no-op figures for one worker count, on private services."""
    redis_server = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    database = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with (
        claimed_redis_database(redis_server) as redis_url,
        throwaway_database(database, "") as url,
    ):
        upgrade(url)
        settings = app_settings(url, redis_url, sink.port)
        app = create_app({**settings, "RATELIMIT_ENABLED": False, "SMTP_PORT": sink.port})
        ids = prepare(app, url, count)
        env = {**os.environ, **settings, "CERTMATCH_TESTING": "1"}
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "matcher.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            noop_seconds(redis_url, workers * 2, timeout)  # every worker up and warm
            before = len(sink.messages)
            noop = noop_seconds(redis_url, count, timeout)
            pipeline = pipeline_seconds(app, url, ids, timeout)
            mails = len(sink.messages) - before
            with create_engine(url).connect() as conn:
                statuses = dict(
                    conn.execute(
                        select(QuoteRequest.status, func.count()).group_by(QuoteRequest.status)
                    ).all()
                )
                # Every status, not only sent: a mail that ended failed shows here.
                sent = dict(
                    conn.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    ).all()
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # slow to stop on a loaded machine
                    process.kill()
                    process.wait()
    return {"workers": workers, "noop": noop, "pipeline": pipeline, "mails": mails,
            "sent": sent, "statuses": statuses}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", default="1,3")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {os.getloadavg()}")
    sink = SMTPSink()
    sink.controller.start()
    try:
        runs = []
        for workers in (int(w) for w in args.workers.split(",")):
            runs.append(one_run(workers, args.requests, sink, args.timeout))
            print(f"load average after {workers} worker(s): {os.getloadavg()}", flush=True)
    finally:
        sink.controller.stop()
    n = args.requests
    print(
        "| workers | requests/s | no-op jobs/s | ratio | mails in sink | outbox mails | requests |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        rate, noop_rate = n / run["pipeline"], n / run["noop"]
        print(
            f"| {run['workers']} | {rate:.1f} | {noop_rate:.1f} | {rate / noop_rate:.2f}x | "
            f"{run['mails']} | {run['sent']} | {run['statuses']} |"
        )
    if len(runs) > 1:
        speedup = runs[0]["pipeline"] / runs[-1]["pipeline"]
        print(f"speed-up {runs[-1]['workers']} workers over {runs[0]['workers']}: {speedup:.2f}x")


if __name__ == "__main__":
    main()

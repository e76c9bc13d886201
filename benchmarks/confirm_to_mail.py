"""Benchmark: from the business's confirm POST to its quotes mail arriving in an SMTP sink.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m benchmarks.confirm_to_mail [--requests 200]

One `certmatch worker` process (RQ's forking Worker) serves a fresh database seeded with the
demo market; a real aiosmtpd server receives the mail. Each request is confirmed through the
web app (Flask test client) and timed until the mail that follows the confirmation (the
indicative-quotes mail, or the "no fitting provider" one) is in the sink. Baseline, same run and
same worker: the round trip of a no-op job (enqueue -> finished).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

os.environ.setdefault("CERTMATCH_TESTING", "1")

import redis  # noqa: E402
from rq import Queue  # noqa: E402
from rq.job import JobStatus  # noqa: E402
from sqlmodel import select  # noqa: E402

from benchmarks.common import (  # noqa: E402
    app_settings,
    claimed_redis_database,
    machine,
    summary,
    throwaway_database,
)
from matcher import create_app  # noqa: E402
from matcher.db import transaction  # noqa: E402
from matcher.links import request_token  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402
from matcher.models import QuoteRequest  # noqa: E402
from tests.conftest import SMTPSink  # noqa: E402
from tests.factories import request_form  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("nothing arrived in time")
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    redis_server = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    sink = SMTPSink()
    sink.controller.start()
    with (
        claimed_redis_database(redis_server) as redis_url,
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database(os.environ.get("DATABASE_URL"), tmp) as url,
    ):
        upgrade(url)
        settings = app_settings(url, redis_url, sink.port)
        app = create_app({**settings, "RATELIMIT_ENABLED": False, "SMTP_PORT": sink.port})
        from matcher.demo.data import seed_demo

        seed_demo(app, known_logins=True)
        env = {**os.environ, **settings, "CERTMATCH_TESTING": "1"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "matcher.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            client = app.test_client()
            latencies = [_one_request(app, client, sink, i) for i in range(args.requests)]
            baseline = _noop_round_trips(redis_url, args.requests)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            sink.controller.stop()
    print(f"machine: {machine()}")
    print(f"backend: {url.split(':', 1)[0]} + Redis, one `certmatch worker` process")
    print(f"confirm POST -> quotes mail in the SMTP sink : {summary(latencies)}")
    print(f"baseline: no-op job round trip, same worker  : {summary(baseline)}")


def _one_request(app, client, sink, index: int) -> float:
    email = f"owner{index}-{uuid.uuid4().hex[:6]}@bench.example"
    page = client.get("/quote").get_data(as_text=True)
    data = {**request_form(email=email, company_name=f"Bench {index}")}
    data["csrf_token"] = TOKEN.search(page).group(1)
    assert client.post("/quote", data=data).status_code == 303
    _wait(lambda: len(sink.to(email)) >= 1)  # the confirmation mail
    with app.app_context(), transaction() as session:
        public_id = session.exec(
            select(QuoteRequest.public_id).where(QuoteRequest.email == email)
        ).one()
        link = f"/r/{request_token(public_id)}"
    token = TOKEN.search(client.get(link).get_data(as_text=True)).group(1)
    started = time.perf_counter()
    assert client.post(link, data={"csrf_token": token}).status_code == 303
    _wait(lambda: len(sink.to(email)) >= 2)
    return (time.perf_counter() - started) * 1000


def _noop_round_trips(redis_url: str, count: int) -> list[float]:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        job = queue.enqueue("benchmarks.common.noop")
        _wait(lambda job=job: job.get_status(refresh=True) == JobStatus.FINISHED)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


if __name__ == "__main__":
    main()

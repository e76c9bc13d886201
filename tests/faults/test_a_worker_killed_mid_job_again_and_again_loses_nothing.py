"""`certmatch worker` SIGKILLed, with its work-horse, at random moments while it matches and mails.

Thirty businesses confirm while the worker is killed and restarted twenty times. In the end
every request has its offers and every mail was delivered; no provider is offered a request
twice; a mail goes out twice only when it was the one in flight at a kill, after the SMTP
server took it and before its row said so. Abandoned jobs come back through RQ's clean-up of
jobs whose heartbeat lapsed and the outbox sweeper (settings in docs/deploy.md).
"""

import random
import time
from collections import Counter

import pytest
from rq import Worker
from sqlmodel import func, select

from matcher.models import LeadOffer, MatchRun, OutboxMessage, QuoteRequest, RequestStatus
from matcher.queue import get_redis
from tests.factories import make_request
from tests.faults.checks import sent_twice, unfinished
from tests.faults.processes import wait_until
from tests.lead_helpers import cbs, request_path
from tests.page_helpers import csrf_token

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

REQUESTS = 30
KILLS = 20
# The longest a job abandoned at a kill may take to be done: its heartbeat lapses (70 s), the
# clean-up (every 30 s) fails it, the sweeper queues it again (here every second).
RECOVERY_SECONDS = 150


def _executions(app) -> set[str]:
    """Every job execution RQ has marked started and not yet ended ("job id:execution id")."""
    with app.app_context():
        connection = get_redis()
        return {
            member.decode()
            for queue in app.config["QUEUE_NAMES"]
            for member in connection.zrange(f"rq:wip:{queue}", 0, -1)
        }


def _worker_ready(app, pid: int) -> bool:
    with app.app_context():
        return any(worker.pid == pid for worker in Worker.all(connection=get_redis()))


def _progress(db) -> tuple[int, int]:
    """(requests matched, outbox mails sent)."""
    db.rollback()
    matched = db.exec(
        select(func.count()).where(QuoteRequest.status == RequestStatus.MATCHED)
    ).one()
    sent = db.exec(select(func.count()).where(OutboxMessage.status == "sent")).one()
    db.rollback()
    return matched, sent


def _mail_ids(db) -> dict[int, str]:
    db.rollback()
    rows = dict(db.exec(select(OutboxMessage.id, OutboxMessage.message_id)).all())
    db.rollback()
    return rows


def test_a_worker_killed_mid_job_twenty_times_loses_no_mail_and_offers_nothing_twice(
    fault_app, client, db, processes, smtp_sink
):
    app = fault_app
    cbs(db, 4, monthly_cap=500)
    links = [
        request_path(app, make_request(db, email=f"owner{n}@co{n}.example", company_name=f"Co {n}"))
        for n in range(REQUESTS)
    ]
    processes.certmatch("cron")
    seed = random.randrange(1_000_000)
    moments = random.Random(seed)
    in_flight: list[str] = []
    seen: set[str] = set()
    for kill in range(KILLS):
        worker = processes.certmatch("worker")
        # Two more businesses confirm each round: the worker always has matching to do.
        for link in links[2 * kill : 2 * kill + 2]:
            response = client.post(link, data={"csrf_token": csrf_token(client, link)})
            assert response.status_code == 303
        assert wait_until(lambda w=worker: _worker_ready(app, w.pid), 60, 0.05), processes.log(
            "worker"
        )
        time.sleep(moments.uniform(0.1, 1.5))
        started = _executions(app)
        in_flight += sorted(started - seen)
        seen |= started
        processes.kill("worker")
    for link in links[2 * KILLS :]:
        assert client.post(link, data={"csrf_token": csrf_token(client, link)}).status_code == 303
    processes.certmatch("worker")
    last_kill = time.monotonic()

    def done() -> bool:
        matched, _ = _progress(db)
        written = set(_mail_ids(db).values())
        return matched == REQUESTS and written <= {m["Message-ID"] for m in smtp_sink.messages}

    with app.app_context():
        assert wait_until(done, timeout=RECOVERY_SECONDS, interval=1), (
            f"{_progress(db)} (matched, sent) of {REQUESTS} requests after {RECOVERY_SECONDS} s, "
            f"seed {seed}, killed in flight {in_flight}: {unfinished(db, get_redis())}"
        )
    recovered_in = time.monotonic() - last_kill
    time.sleep(3)  # a second copy sent late would show now

    db.rollback()
    runs = Counter(db.exec(select(MatchRun.request_id).where(MatchRun.trigger == "initial")))
    assert set(runs.values()) == {1} and len(runs) == REQUESTS, "one match per request"
    offers = Counter(db.exec(select(LeadOffer.request_id, LeadOffer.provider_id)).all())
    assert set(offers.values()) == {1}, "a provider offered one request twice"
    per_request = Counter(request_id for request_id, _ in offers)
    assert set(per_request.values()) == {3}, per_request
    db.rollback()

    # Only a mail whose send was in flight at a kill may have gone out twice.
    mail_ids = _mail_ids(db)
    killed_sends = Counter(
        mail_ids[int(job.split(":")[0].removeprefix("outbox-mail-"))]
        for job in in_flight
        if job.startswith("outbox-mail-")
    )
    copies = sent_twice(smtp_sink)
    leads = sent_twice(smtp_sink, subject_prefix="New lead")
    matches = sum(1 for job in in_flight if job.startswith("outbox-job-"))
    print(
        f"worker killed {KILLS} times (seed {seed}): in flight {matches} match jobs and "
        f"{sum(killed_sends.values())} mails; sent twice: {len(copies)} mails, {len(leads)} "
        f"of them lead mails; all done {recovered_in:.0f} s after the last kill"
    )
    for message_id, count in copies.items():
        assert count - 1 <= killed_sends[message_id], f"{message_id} sent {count} times"
    # Lead and business mails all delivered; each business heard of its quotes once.
    assert len({m["To"] for m in smtp_sink.messages if m["Subject"].startswith("New lead")}) == 4
    matched_mail = Counter(m["To"] for m in smtp_sink.messages if "preparing" in m["Subject"])
    assert len(matched_mail) == REQUESTS
    assert sum(matched_mail.values()) - REQUESTS <= sum(killed_sends.values())

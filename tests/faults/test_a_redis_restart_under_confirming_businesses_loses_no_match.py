"""Redis restarted, empty, while businesses submit and confirm through gunicorn: nothing is lost.

Web (gunicorn), worker and cron are real processes on a private redis-server that the test stops
and starts again with nothing persisted, the worst case: every queued job is gone, and the
outbox sweeper must put each one back.
"""

import time

import pytest
from sqlmodel import col, func, select

from matcher.embedded_redis import free_port
from matcher.models import LeadOffer, MatchRun, OutboxMessage, QuoteRequest, RequestStatus
from tests.faults.businesses import Businesses
from tests.faults.checks import sent_twice
from tests.faults.network import HttpSession
from tests.faults.processes import wait_until
from tests.lead_helpers import cbs

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 4


def _matched(db, emails: set[str]) -> tuple[int, int]:
    """(requests matched, their initial match runs) among the businesses' `emails`."""
    db.rollback()
    ids = select(QuoteRequest.id).where(col(QuoteRequest.email).in_(emails))
    matched = db.exec(
        select(func.count())
        .where(col(QuoteRequest.id).in_(ids))
        .where(QuoteRequest.status == RequestStatus.MATCHED)
    ).one()
    runs = db.exec(
        select(func.count())
        .where(col(MatchRun.request_id).in_(ids))
        .where(MatchRun.trigger == "initial")
    ).one()
    db.rollback()
    return matched, runs


def _all_mail_delivered(db, sink) -> bool:
    db.rollback()
    written = set(db.exec(select(OutboxMessage.message_id)))
    db.rollback()
    return written <= {m["Message-ID"] for m in sink.messages}


def test_a_redis_restart_while_businesses_confirm_loses_no_request_match_or_mail(
    fault_app, db, processes, private_redis, smtp_sink
):
    app = fault_app
    cbs(db, 4, monthly_cap=500)
    port = free_port()
    # The real rate limiter, on the Redis that goes away, with room for this many posts.
    processes.gunicorn(port, CERTMATCH_NO_RATE_LIMIT="", RATE_LIMIT_QUOTE="100000 per hour")
    processes.certmatch("worker")
    processes.certmatch("cron")
    web = HttpSession(f"http://127.0.0.1:{port}")
    assert wait_until(lambda: web.get("/healthz")[0] == 200, timeout=60), processes.log("web")

    businesses = Businesses(app, f"http://127.0.0.1:{port}").start()
    try:
        time.sleep(4)
        private_redis.stop()
        time.sleep(OUTAGE_SECONDS)
        private_redis.start()
        time.sleep(5)
    finally:
        businesses.stop()

    submitted, confirmed = businesses.accepted("form"), businesses.accepted("confirm")
    print(f"redis restart: {len(submitted)} forms, {len(confirmed)} confirmed")
    assert businesses.statuses() == {303: len(businesses.answers)}, "every page answered"
    assert len(confirmed) >= 10, businesses.statuses()

    db.rollback()
    rows = set(db.exec(select(QuoteRequest.email).where(col(QuoteRequest.email).in_(submitted))))
    assert rows == submitted, "an accepted form was lost"

    def all_matched() -> bool:
        return _matched(db, confirmed) == (len(confirmed), len(confirmed))

    assert wait_until(all_matched, timeout=90), (
        f"{_matched(db, confirmed)} of {len(confirmed)}\n{processes.log('worker')}"
    )
    assert wait_until(lambda: _all_mail_delivered(db, smtp_sink), timeout=60)
    time.sleep(2)  # a copy sent late would show now

    db.rollback()
    offers = db.exec(
        select(LeadOffer.request_id, LeadOffer.provider_id, func.count())
        .group_by(LeadOffer.request_id, LeadOffer.provider_id)
        .having(func.count() > 1)
    ).all()
    assert offers == [], "no provider offered one request twice"
    db.rollback()
    assert sent_twice(smtp_sink) == {}
    assert {m["To"] for m in smtp_sink.messages if "Confirm your" in m["Subject"]} == submitted
    for name in ("web", "worker", "cron"):
        assert processes.alive(name), processes.log(name)

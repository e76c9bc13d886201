"""PostgreSQL goes away under load and comes back: web and worker recover by themselves.

The shared server is never touched: gunicorn, the worker and cron reach the test's database
through a TCP proxy, and "restarting PostgreSQL" is the proxy dropping every connection and
refusing new ones for a while, as a restarting server does.
"""

import json
import os
import time

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select

from matcher.embedded_redis import free_port
from matcher.models import LeadOffer, MatchRun, OutboxMessage, QuoteRequest
from tests.faults.businesses import Businesses
from tests.faults.checks import sent_twice
from tests.faults.network import HttpSession, TcpProxy
from tests.faults.processes import wait_until
from tests.lead_helpers import cbs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="restarts PostgreSQL"),
]

OUTAGE_SECONDS = 4
# A page asked this long after the server is back must not fail: pre-ping replaces dead
# pooled connections at checkout, so only pages already in flight at the restart may.
RECOVERY_SECONDS = 1.0


@pytest.fixture
def proxy(database_url):
    server = make_url(database_url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432, free_port())
    yield proxy
    proxy.close()


def _matched_runs(db, emails: set[str]) -> int:
    db.rollback()
    ids = select(QuoteRequest.id).where(col(QuoteRequest.email).in_(emails))
    runs = db.exec(
        select(func.count())
        .where(col(MatchRun.request_id).in_(ids))
        .where(MatchRun.trigger == "initial")
    ).one()
    db.rollback()
    return runs


def _undelivered(db, sink) -> set[str]:
    db.rollback()
    written = set(db.exec(select(OutboxMessage.message_id)))
    db.rollback()
    return written - {m["Message-ID"] for m in sink.messages}


def test_web_and_worker_recover_from_a_postgresql_restart_and_lose_no_accepted_request(
    fault_app, db, database_url, processes, proxy, smtp_sink
):
    app = fault_app
    cbs(db, 4, monthly_cap=500)
    through_proxy = (
        make_url(database_url)
        .set(host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )
    port = free_port()
    processes.gunicorn(port, DATABASE_URL=through_proxy)
    processes.certmatch("worker", DATABASE_URL=through_proxy)
    processes.certmatch("cron", DATABASE_URL=through_proxy)
    web = HttpSession(f"http://127.0.0.1:{port}")
    assert wait_until(lambda: web.get("/healthz")[0] == 200, timeout=60), processes.log("web")

    businesses = Businesses(app, f"http://127.0.0.1:{port}").start()
    try:
        time.sleep(4)
        proxy.cut()
        time.sleep(OUTAGE_SECONDS / 2)
        status, body = web.get("/healthz")
        assert (status, json.loads(body or "{}")) == (503, {"database": False, "queue": True})
        time.sleep(OUTAGE_SECONDS / 2)
        proxy.restore()
        restored_at = time.time()
        time.sleep(5)
    finally:
        businesses.stop()
    after = businesses.statuses(after=restored_at + RECOVERY_SECONDS)
    assert set(after) == {303} and after[303] >= 6, "every page answers once PostgreSQL is back"

    # Restarted again while no page is asked: the web's pooled connections are all dead now,
    # and only pre-ping keeps the first pages after it from failing on them.
    proxy.cut()
    time.sleep(1)
    proxy.restore()
    quiet = Businesses(app, f"http://127.0.0.1:{port}", name="later").start()
    time.sleep(4)
    quiet.stop()
    loaded, quietly = dict(businesses.statuses()), dict(quiet.statuses())
    print(f"postgresql restarts: pages {loaded} under load, {dict(after)} back, {quietly} after")
    assert 500 not in loaded, "while the database is down a page says 503: " + processes.log("web")
    assert set(quiet.statuses()) == {303}, "no page fails after a restart"
    assert web.get("/healthz")[0] == 200

    submitted = businesses.accepted("form") | quiet.accepted("form")
    confirmed = businesses.accepted("confirm") | quiet.accepted("confirm")
    db.rollback()
    rows = set(db.exec(select(QuoteRequest.email).where(col(QuoteRequest.email).in_(submitted))))
    assert rows == submitted, "an accepted form was lost"

    assert wait_until(lambda: _matched_runs(db, confirmed) == len(confirmed), timeout=60), (
        f"{_matched_runs(db, confirmed)} of {len(confirmed)} matched\n{processes.log('worker')}"
    )
    assert wait_until(lambda: not _undelivered(db, smtp_sink), timeout=60), processes.log("worker")
    db.rollback()
    twice = db.exec(
        select(LeadOffer.request_id, LeadOffer.provider_id)
        .group_by(LeadOffer.request_id, LeadOffer.provider_id)
        .having(func.count() > 1)
    ).all()
    assert twice == []
    db.rollback()
    assert sent_twice(smtp_sink) == {}
    for name in ("web", "worker", "cron"):
        assert processes.alive(name), processes.log(name)

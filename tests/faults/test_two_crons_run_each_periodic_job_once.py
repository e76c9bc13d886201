"""Two `certmatch cron` processes for several cycles: one leads, nothing is done twice.

RQ 3's cron scheduler has no lock of its own: the processes share one in Redis, and the other
keeps time as a standby until the leader dies.
"""

import time
from datetime import timedelta

import pytest
from sqlmodel import col, func, select, update

from matcher.models import LeadOffer, MatchRun, OfferStatus, QuoteRequest, RequestStatus, utcnow
from matcher.queue import get_redis
from tests.faults.checks import delivered, failed_jobs, outbox_ids, sent_twice
from tests.faults.processes import wait_until
from tests.lead_helpers import cbs, matched_request
from workers.processes import CRON_LOCK_KEY, CRON_LOCK_SECONDS, CRON_WAKE_SECONDS

pytestmark = pytest.mark.slow

INTERVAL = 2  # LIFECYCLE_INTERVAL_SECONDS: a cycle every two seconds
CYCLES = 5
LIFECYCLE_JOBS = ("expire_offers", "send_reminders", "close_requests")


def _history(app, job: str) -> list[float]:
    """When the cron enqueued a lifecycle job, oldest first (RQ keeps each cron job's history)."""
    with app.app_context():
        key = f"rq:cron_job:workers.lifecycle.{job}:jobs"
        return sorted(score for _, score in get_redis().zrange(key, 0, -1, withscores=True))


def _leader(app) -> int | None:
    """The pid of the cron process holding the lock (its value is the scheduler's host:pid:id)."""
    with app.app_context():
        value = get_redis().get(CRON_LOCK_KEY)
    return int(value.decode().split(":")[1]) if value else None


def _market(db):
    """Offers past their window, offers due a reminder, and requests due closing."""
    now = utcnow()
    first, spare = cbs(db, 3, monthly_cap=100), cbs(db, 3, monthly_cap=100)
    expiring = [matched_request(db, first, now=now - timedelta(hours=49)) for _ in range(2)]
    reminded = [matched_request(db, first, now=now - timedelta(hours=40)) for _ in range(2)]
    closing = [matched_request(db, spare, now=now - timedelta(days=31)) for _ in range(2)]
    quoted = [offer.id for _, offers in closing for offer in offers]
    db.exec(update(LeadOffer).where(col(LeadOffer.id).in_(quoted)).values(status="quoted"))
    db.commit()
    return (
        [r.id for r, _ in expiring],
        [o.id for _, offers in expiring for o in offers],
        [o.id for _, offers in reminded for o in offers],
        [r.id for r, _ in closing],
    )


def test_two_crons_enqueue_each_periodic_job_once_a_cycle_and_nothing_happens_twice(
    fault_app, db, processes, smtp_sink
):
    app = fault_app
    expiring_requests, expiring_offers, reminded_offers, closing_requests = _market(db)
    processes.certmatch("worker")
    crons = {
        name: processes.certmatch("cron", name=name, LIFECYCLE_INTERVAL_SECONDS=str(INTERVAL))
        for name in ("cron-a", "cron-b")
    }
    started = time.time()

    assert wait_until(lambda: len(_history(app, "expire_offers")) >= CYCLES, timeout=60), (
        processes.log("cron-a") + processes.log("cron-b")
    )
    # Expiry and reminder mails, the re-matches' lead and business mails, the closings' mails.
    expected = len(expiring_offers) * 2 + len(reminded_offers) + len(expiring_requests) + 6
    assert len(smtp_sink.wait_for(expected, timeout=90)) >= expected, processes.log("worker")
    time.sleep(INTERVAL)  # another cycle: a copy would show now

    for job in LIFECYCLE_JOBS:
        runs = _history(app, job)
        gaps = [later - earlier for earlier, later in zip(runs, runs[1:], strict=False)]
        assert min(gaps) > INTERVAL * 0.75, f"{job} enqueued twice in one cycle: {runs}"
        assert len(runs) <= (time.time() - started) / INTERVAL + 1, runs

    db.rollback()
    expired = db.exec(
        select(func.count()).where(col(LeadOffer.id).in_(expiring_offers))
        .where(LeadOffer.status == OfferStatus.EXPIRED)
    ).one()  # fmt: skip
    assert expired == len(expiring_offers)
    rematches = db.exec(
        select(MatchRun.request_id, func.count())
        .where(MatchRun.trigger == "expiry")
        .group_by(MatchRun.request_id)
    ).all()
    assert dict(rematches) == dict.fromkeys(expiring_requests, 1), "one re-match per expiry"
    pairs = db.exec(
        select(LeadOffer.request_id, LeadOffer.provider_id, func.count())
        .group_by(LeadOffer.request_id, LeadOffer.provider_id)
        .having(func.count() > 1)
    ).all()
    assert pairs == [], "a provider offered the same request twice"
    closed = db.exec(
        select(func.count()).where(col(QuoteRequest.id).in_(closing_requests))
        .where(QuoteRequest.status == RequestStatus.CLOSED)
    ).one()  # fmt: skip
    assert closed == len(closing_requests)
    db.rollback()

    # Each mail once in the outbox and once in the mailbox.
    assert len(outbox_ids(db, "reminder_offer")) == len(reminded_offers)
    assert len(outbox_ids(db, "offer_expired")) == len(expiring_offers)
    assert len(outbox_ids(db, "not_chosen")) == 6
    for template in ("reminder_offer", "offer_expired", "not_chosen", "lead_offer"):
        assert outbox_ids(db, template) <= {m["Message-ID"] for m in smtp_sink.messages}
    assert delivered(smtp_sink, "Reminder: a lead expires") == outbox_ids(db, "reminder_offer")
    assert sent_twice(smtp_sink) == {}
    with app.app_context():
        assert failed_jobs(get_redis()) == {}

    # The leader dies without a word; the standby takes over once the lock lapses.
    leader = _leader(app)
    (name,) = [n for n, process in crons.items() if process.pid == leader]
    (standby,) = [p.pid for n, p in crons.items() if n != name]
    processes.kill(name)
    killed_at = time.time()
    takeover = CRON_LOCK_SECONDS + CRON_WAKE_SECONDS + INTERVAL + 5
    assert wait_until(lambda: _leader(app) == standby, timeout=takeover), processes.log(name)
    assert wait_until(lambda: _history(app, "expire_offers")[-1] > killed_at, timeout=INTERVAL * 3)
    assert processes.alive("cron-a" if name == "cron-b" else "cron-b")

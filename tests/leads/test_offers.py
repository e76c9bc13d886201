"""The match_request job and the rematch entry point, against the real database and queue."""

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from matcher.leads import offers
from matcher.links import request_token
from matcher.models import (
    LeadOffer,
    MatchRun,
    OfferStatus,
    OutboxMessage,
    Provider,
    Quote,
    QuoteRequest,
    QuoteStatus,
    RequestStatus,
    utcnow,
)
from tests.factories import request_form
from tests.market import confirmed_request, fresh, make_cb, make_consultant
from tests.page_helpers import request_link, submit
from workers.matching import match_request

ROOT = Path(__file__).resolve().parents[2]


def _offers(db, request_id):
    fresh(db)
    return db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()


def _mails(db, template: str) -> list[OutboxMessage]:
    fresh(db)
    return db.exec(select(OutboxMessage).where(OutboxMessage.template == template)).all()


def _decline(db, offer: LeadOffer) -> None:
    offer.status = OfferStatus.DECLINED
    db.add(offer)
    db.commit()


def test_a_confirmed_request_is_offered_to_the_three_best_fitting_providers(app, db):
    cbs = [make_cb(db) for _ in range(5)]
    request_id = confirmed_request(db).id

    match_request(request_id)

    found = _offers(db, request_id)
    assert len(found) == 3
    assert {o.provider_id for o in found} <= {cb.id for cb in cbs}
    assert all(o.status == OfferStatus.OFFERED for o in found)
    window = timedelta(hours=app.config["RESPONSE_WINDOW_HOURS"])
    assert all(o.expires_at - o.offered_at == window for o in found)
    quote_request = db.get(QuoteRequest, request_id)
    assert quote_request.status == RequestStatus.MATCHED
    assert quote_request.matched_at is not None
    run = db.exec(select(MatchRun).where(MatchRun.request_id == request_id)).one()
    assert run.trigger == "initial"
    assert sorted(run.offered_provider_ids) == sorted(o.provider_id for o in found)
    assert len(run.candidates) == 5
    components = {"sector", "locality", "responsiveness", "reputation", "fairness", "price"}
    assert all(set(c["breakdown"]) == components for c in run.candidates)
    assert run.filtered_out["eligible"] == 5
    leads = _mails(db, "lead_offer")
    assert sorted(m.provider_id for m in leads) == sorted(o.provider_id for o in found)
    assert len(_mails(db, "request_matched")) == 1


def test_offering_records_when_each_provider_was_last_offered(db):
    cb = make_cb(db, offers_received=4)
    request_id = confirmed_request(db).id
    before = utcnow()
    match_request(request_id)
    fresh(db)
    provider = db.get(Provider, cb.id)
    # An open offer is not yet part of the response rate: it counts once answered or expired.
    assert provider.offers_received == 4
    assert provider.last_offered_at >= before


def test_running_the_job_twice_offers_nothing_twice_and_mails_each_provider_once(db):
    for _ in range(4):
        make_cb(db)
    request_id = confirmed_request(db).id
    first = match_request(request_id)
    second = match_request(request_id)
    assert len(first) == 3
    assert second == []
    assert len(_offers(db, request_id)) == 3
    assert len(_mails(db, "lead_offer")) == 3
    assert len(_mails(db, "request_matched")) == 1
    assert db.exec(select(func.count()).select_from(MatchRun)).one() == 1


_CALL_THE_JOB = """
import json, sys, time
from workers.matching import match_request
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
print(json.dumps(match_request(int(sys.argv[2]))))
"""


def test_two_processes_running_the_job_at_the_same_moment_offer_one_set(app_env, db):
    for _ in range(5):
        make_cb(db)
    request_id = confirmed_request(db).id
    fresh(db)
    start = str(time.time() + 3)  # both import the app, then run at the same instant
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _CALL_THE_JOB, start, str(request_id)],
            cwd=ROOT,
            env=app_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [worker.communicate(timeout=60) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), results
    made = sorted(len(json.loads(out.strip().splitlines()[-1])) for out, _ in results)
    assert made == [0, 3]
    assert len(_offers(db, request_id)) == 3
    assert len(_mails(db, "lead_offer")) == 3


def test_two_rq_workers_given_the_job_twice_offer_one_set_and_send_one_mail_each(
    app, app_env, db, smtp_sink
):
    from matcher.queue import get_queue

    cbs = [make_cb(db) for _ in range(4)]
    request_id = confirmed_request(db).id
    fresh(db)
    with app.app_context():
        for copy in range(2):
            get_queue("default").enqueue(
                "workers.matching.match_request", request_id, job_id=f"match-{copy}"
            )
    workers = [
        subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "certmatch"), "worker", "--burst"],
            cwd=ROOT,
            env=app_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors
    found = _offers(db, request_id)
    assert len(found) == 3
    smtp_sink.wait_for(4)
    time.sleep(0.5)
    emails = {cb.id: cb.email for cb in cbs}
    received = [m["To"] for m in smtp_sink.messages if m["To"] in emails.values()]
    assert sorted(received) == sorted(emails[o.provider_id] for o in found)


def test_a_request_nobody_fits_gets_an_honest_mail_and_waits_as_unmatched(db):
    make_cb(db, countries=("FR",))
    request_id = confirmed_request(db).id
    assert match_request(request_id) == []
    fresh(db)
    assert db.get(QuoteRequest, request_id).status == RequestStatus.UNMATCHED
    (mail,) = _mails(db, "request_unmatched")
    assert mail.to_email == "ann@acme.example"
    assert "none of the verified providers" in mail.body_text
    assert "/r/" in mail.body_text
    assert _mails(db, "lead_offer") == []


def test_rematching_an_unmatched_request_once_a_provider_fits_matches_it(db):
    request_id = confirmed_request(db).id
    match_request(request_id)
    cb = make_cb(db)
    outcome = offers.rematch_request(db, request_id, "admin")
    db.commit()
    assert [o.provider_id for o in outcome.offers] == [cb.id]
    assert db.get(QuoteRequest, request_id).status == RequestStatus.MATCHED
    assert len(_mails(db, "request_matched")) == 1


def test_a_decline_frees_the_slot_for_the_next_best_never_offered_candidate(db):
    cbs = [make_cb(db) for _ in range(5)]
    request_id = confirmed_request(db).id
    match_request(request_id)
    first = _offers(db, request_id)
    _decline(db, first[0])
    outcome = offers.rematch_request(db, request_id, "decline")
    db.commit()
    (new,) = outcome.offers
    assert new.provider_id in {cb.id for cb in cbs} - {o.provider_id for o in first}
    assert offers.rematch_request(db, request_id, "decline").offers == []


def test_never_more_than_six_providers_are_offered_one_request(db):
    for _ in range(9):
        make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    for _ in range(5):
        for offer in _offers(db, request_id):
            if offer.status == OfferStatus.OFFERED:
                _decline(db, offer)
        offers.rematch_request(db, request_id, "decline")
        db.commit()
    found = _offers(db, request_id)
    assert len(found) == 6
    assert len({o.provider_id for o in found}) == 6


def test_rematching_stops_once_three_firm_quotes_are_in(db):
    for _ in range(5):
        make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    found = _offers(db, request_id)
    for offer in found:
        # The match job may already have written an indicative quote: firm it up, or add one.
        quote = db.exec(select(Quote).where(Quote.offer_id == offer.id)).first() or Quote(
            offer_id=offer.id,
            request_id=request_id,
            provider_id=offer.provider_id,
            kind="certification_body",
            currency="GBP",
        )
        quote.status = QuoteStatus.FIRM
        db.add(quote)
    db.commit()
    _decline(db, found[0])
    assert offers.rematch_request(db, request_id, "decline").offers == []


def test_two_equal_providers_take_turns_over_successive_requests(db):
    # Two local specialists always win two of the three slots; the third goes round.
    strong = {make_consultant(db, region="Yorkshire", sectors=(17,)).id for _ in range(2)}
    first, second = make_consultant(db), make_consultant(db)
    winners = []
    for _ in range(4):
        request_id = confirmed_request(db, service="consultancy").id
        match_request(request_id)
        offered = {o.provider_id for o in _offers(db, request_id)}
        assert strong < offered
        (third,) = offered - strong
        winners.append(third)
    assert winners == [first.id, second.id, first.id, second.id]


def test_the_business_page_says_how_many_providers_were_invited_and_by_when(app, client, db):
    for _ in range(3):
        make_cb(db)
    quote_request = confirmed_request(db)
    match_request(quote_request.id)
    with app.test_request_context():
        token = request_token(quote_request.public_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    (offer, *_) = _offers(db, quote_request.id)
    assert "3 verified providers invited" in page
    assert f"They answer by {offer.expires_at.strftime('%d %B %Y, %H:%M UTC')}" in page


def test_confirming_a_request_matches_it_and_the_providers_get_their_lead_mail(
    client, db, jobs, smtp_sink
):
    cb = make_cb(db, scope=(("iso9001", 17),))
    fresh(db)
    assert submit(client, "/quote", request_form()).status_code == 303
    jobs()
    link = request_link(smtp_sink.wait_for(1)[0])
    assert submit(client, link, {}).status_code == 303
    jobs()
    smtp_sink.wait_for(3)
    (lead,) = smtp_sink.to(cb.email)
    body = lead.get_body(("plain",)).get_content()
    (offer,) = _offers(db, db.exec(select(QuoteRequest.id)).one())
    assert f"http://certmatch.test/provider/leads/{offer.id}" in body
    assert "ISO 9001" in body

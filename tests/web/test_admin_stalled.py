"""The admin's stalled queue: requests every invited provider is done with and nobody can follow."""

import re
from datetime import timedelta

from sqlmodel import col, select

from matcher.models import (
    LeadOffer,
    MatchRun,
    OfferStatus,
    OutboxMessage,
    QuoteStatus,
    RequestStatus,
    utcnow,
)
from matcher.quotes import answers
from matcher.web.admin.stalled import STALLED_AFTER, stalled_query, stalled_requests
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    login,
    make_admin,
    make_provider_user,
)
from tests.lead_helpers import act, cbs, indicative_quote, matched_request
from tests.market import confirmed_request, fresh, make_cb
from workers import lifecycle as cron
from workers.matching import match_request

HOUR = timedelta(hours=1)
ROW = re.compile(r'<td><a href="/admin/requests/(\d+)">\d+</a></td>')


def _admin(client, db):
    admin = make_admin(db)
    assert login(client, admin.email, ADMIN_PASSWORD).status_code == 303
    return client


def _listed(client, path: str = "/admin/requests/stalled") -> list[int]:
    response = client.get(path)
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


def _end(db, offer: LeadOffer, status: str, ago: timedelta) -> None:
    """End an offer `ago` before now, as a decline, an expiry or the business would."""
    moment = utcnow() - ago
    offer.status = status
    if status == OfferStatus.EXPIRED:
        offer.offered_at, offer.expires_at = moment - 48 * HOUR, moment
    elif status == OfferStatus.DECLINED:
        offer.responded_at = moment
    db.add(offer)
    db.commit()


def _stuck(db, providers, endings, **request_fields) -> int:
    """A matched request whose offers ended as `endings` says: [(status, ago), ...]."""
    quote_request, offers = matched_request(db, providers, **request_fields)
    for offer, (status, ago) in zip(offers, endings, strict=True):
        _end(db, offer, status, ago)
    return quote_request.id


def _turn_down(db, offer: LeadOffer, ago: timedelta) -> None:
    """The business turns down the offer's indicative quote `ago` before now."""
    quote = indicative_quote(db, offer)
    quote.status, quote.decided_at = QuoteStatus.DECLINED, utcnow() - ago
    offer.status = OfferStatus.CANCELLED
    db.add_all([quote, offer])
    db.commit()


def _match_run(db, request_id: int, *, eligible: int, trigger: str = "decline") -> None:
    """Record a matching run of the request that counted `eligible` candidates."""
    db.add(MatchRun(request_id=request_id, trigger=trigger, filtered_out={"eligible": eligible}))
    db.commit()


def test_the_stalled_queue_is_for_admins_only(client, db):
    provider = make_cb(db)
    request_id = _stuck(db, [provider], [(OfferStatus.DECLINED, 3 * HOUR)])
    paths = ["/admin/requests/stalled", f"/admin/requests/{request_id}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.location
    # Even the provider who was offered this very request sees neither page.
    make_provider_user(db, provider)
    assert login(client, provider.email, PROVIDER_PASSWORD).status_code == 303
    for path in paths:
        assert client.get(path).status_code == 403


def test_an_admin_without_two_factor_is_sent_to_set_it_up_first(client, db):
    admin = make_admin(db, with_two_factor=False)
    login(client, admin.email, ADMIN_PASSWORD)
    response = client.get("/admin/requests/stalled")
    assert response.status_code == 303
    assert response.location.endswith("/account/two-factor")


def test_a_request_everyone_declined_or_let_expire_is_listed_with_why(client, db):
    first, second, third = cbs(db, 3)
    request_id = _stuck(
        db,
        [first, second, third],
        [
            (OfferStatus.DECLINED, 5 * HOUR),
            (OfferStatus.DECLINED, 4 * HOUR),
            (OfferStatus.EXPIRED, 2 * HOUR),
        ],
        company_name="Stuck Brackets Ltd",
    )
    _match_run(db, request_id, eligible=3, trigger="initial")
    _match_run(db, request_id, eligible=0, trigger="expiry")
    assert _listed(_admin(client, db)) == [request_id]
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "Stuck Brackets Ltd" in page
    assert "<li>2 declined</li>" in page
    assert "<li>1 did not answer in time</li>" in page
    assert "<li>3 of 6 offered: no one else fitted</li>" in page
    assert "limit reached" not in page
    assert "cancelled" not in page.split("<tbody>")[1]
    last_ended = (utcnow() - 2 * HOUR).strftime("%Y-%m-%d %H:")
    assert f"<td>{last_ended}" in page
    # From the request's page the admin re-runs matching.
    detail = client.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    assert f'action="/admin/requests/{request_id}/rematch"' in detail


def test_six_providers_offered_reads_limit_reached(client, db):
    providers = cbs(db, 6)
    endings = [(OfferStatus.DECLINED, 3 * HOUR)] * 4 + [(OfferStatus.EXPIRED, 2 * HOUR)] * 2
    request_id = _stuck(db, providers, endings)
    assert _listed(_admin(client, db)) == [request_id]
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "<li>4 declined</li>" in page
    assert "<li>2 did not answer in time</li>" in page
    assert "<li>limit reached: 6 of 6 offered</li>" in page
    assert "no one else fitted" not in page


def test_requests_with_something_left_to_wait_for_are_not_stalled(client, db):
    first, second = cbs(db, 2)
    declined = (OfferStatus.DECLINED, 3 * HOUR)
    stuck = _stuck(db, [first], [declined])

    still_open, offers = matched_request(db, [first, second])
    _end(db, offers[0], *declined)
    firm, offers = matched_request(db, [first, second])
    _end(db, offers[0], *declined)
    quote = indicative_quote(db, offers[1])
    quote.status, offers[1].status = QuoteStatus.FIRM, OfferStatus.QUOTED
    db.add_all([quote, offers[1]])
    db.commit()
    just_now = _stuck(
        db, [first, second], [declined, (OfferStatus.DECLINED, timedelta(minutes=10))]
    )
    waiting = confirmed_request(db).id
    unmatched = confirmed_request(db, status=RequestStatus.UNMATCHED).id
    finished = [
        _stuck(db, [first], [declined], status=status)
        for status in (RequestStatus.ACCEPTED, RequestStatus.CLOSED, RequestStatus.WITHDRAWN)
    ]
    purged = _stuck(db, [first], [declined], purged_at=utcnow() - HOUR)

    listed = _listed(_admin(client, db))
    assert listed == [stuck]
    for request_id in [still_open.id, firm.id, just_now, waiting, unmatched, *finished, purged]:
        assert request_id not in listed


def test_an_offer_that_ended_moments_ago_waits_its_turn(db, app):
    (provider,) = cbs(db, 1)
    request_id = _stuck(db, [provider], [(OfferStatus.DECLINED, timedelta(minutes=10))])
    fresh(db)
    now = utcnow()
    assert stalled_requests(db, now=now)[1] == 0
    stalls, total = stalled_requests(db, now=now + STALLED_AFTER)
    assert total == 1 and stalls[0].request.id == request_id


def test_quotes_the_business_turned_down_count_as_why(client, db):
    first, second = cbs(db, 2)
    turned_down, offers = matched_request(db, [first, second], company_name="Picky Ltd")
    _end(db, offers[0], OfferStatus.EXPIRED, 6 * HOUR)
    _turn_down(db, offers[1], 2 * HOUR)
    # Turned down moments ago, on an offer whose answer-by time is still ahead: not yet.
    recent, offers = matched_request(db, [first])
    _turn_down(db, offers[0], timedelta(minutes=5))

    assert _listed(_admin(client, db)) == [turned_down.id]
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "<li>1 quote turned down by the business</li>" in page
    assert "<li>1 did not answer in time</li>" in page
    assert "declined</li>" not in page
    # Its offer was cancelled by the turning down: told once, as what the business did.
    assert "cancelled before an answer" not in page


def test_offers_cancelled_before_an_answer_are_counted_and_told(client, db):
    first, second, third = cbs(db, 3)
    quote_request, offers = matched_request(db, [first, second, third])
    _end(db, offers[0], OfferStatus.DECLINED, 3 * HOUR)
    _turn_down(db, offers[1], 2 * HOUR)
    # What a suspension of the provider leaves: an offer nobody answered, cancelled.
    offers[2].status = OfferStatus.CANCELLED
    db.add(offers[2])
    db.commit()

    assert _listed(_admin(client, db)) == [quote_request.id]
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "<li>1 declined</li>" in page
    assert "<li>1 quote turned down by the business</li>" in page
    assert "<li>1 offer cancelled before an answer</li>" in page
    assert "<li>3 of 6 offered: no open offer</li>" in page


def test_without_a_run_that_found_no_one_the_queue_does_not_claim_no_one_fitted(client, db):
    first, second = cbs(db, 2)
    ended = [(OfferStatus.DECLINED, 3 * HOUR), (OfferStatus.EXPIRED, 2 * HOUR)]
    # The initial run found more candidates; the re-match after the decline was lost
    # (say Redis was down): nobody knows whether someone else fits.
    lost_rematch = _stuck(db, [first, second], ended, company_name="Lost Rematch Ltd")
    _match_run(db, lost_rematch, eligible=5, trigger="initial")
    # A run found no one, but a later one found candidates it could not offer yet.
    superseded = _stuck(db, [first, second], ended, company_name="Superseded Ltd")
    _match_run(db, superseded, eligible=0, trigger="decline")
    _match_run(db, superseded, eligible=2, trigger="admin")
    unrecorded = _stuck(db, [first], ended[:1], company_name="No Run Ltd")

    assert sorted(_listed(_admin(client, db))) == [lost_rematch, superseded, unrecorded]
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "no one else fitted" not in page.split("<tbody>")[1]
    assert page.count("<li>2 of 6 offered: no open offer</li>") == 2
    assert "<li>1 of 6 offered: no open offer</li>" in page


def test_a_decline_then_an_expiry_with_no_one_left_lands_in_the_queue(app, db, jobs):
    """The real path: the match job, a provider's decline, the cron's expiry, a no-one-left mail."""
    make_cb(db, name="Declining CB")
    make_cb(db, name="Silent CB")
    request_id = confirmed_request(db).id
    offer_ids = match_request(request_id)
    assert len(offer_ids) == 2
    fresh(db)
    offers = db.exec(
        select(LeadOffer).where(col(LeadOffer.id).in_(offer_ids)).order_by(LeadOffer.id)
    ).all()
    declining, silent = offers[0], offers[1]
    silent_id, expires_at = silent.id, silent.expires_at
    act(
        app,
        answers.decline_offer,
        offer_id=declining.id,
        provider_id=declining.provider_id,
        reason=next(iter(answers.DECLINE_REASONS)),
        now=utcnow(),
    )
    jobs()  # the decline's re-match
    fresh(db)
    assert stalled_requests(db, now=utcnow() + 2 * HOUR)[1] == 0  # one lead still open

    assert cron.expire_offers(now=expires_at + HOUR) == [silent_id]
    jobs()  # the expiry's re-match
    fresh(db)
    mails = db.exec(select(OutboxMessage.template).where(OutboxMessage.request_id == request_id))
    assert "request_no_one_left" in mails.all()
    assert stalled_requests(db, now=expires_at + STALLED_AFTER / 2)[1] == 0
    stalls, total = stalled_requests(db, now=expires_at + STALLED_AFTER + HOUR)
    assert total == 1
    (stall,) = stalls
    assert (stall.request.id, stall.outcomes.declined, stall.outcomes.expired) == (request_id, 1, 1)
    assert stall.outcomes.last_ended == expires_at
    assert stall.reasons == [
        "1 declined",
        "1 did not answer in time",
        "2 of 6 offered: no one else fitted",
    ]


def test_the_queue_pages_fifty_at_a_time_oldest_first(client, db):
    (provider,) = cbs(db, 1)
    start = utcnow() - 100 * HOUR
    ids = [
        _stuck(
            db,
            [provider],
            [(OfferStatus.DECLINED, 3 * HOUR)],
            created_at=start + number * timedelta(minutes=1),
        )
        for number in range(51)
    ]
    _admin(client, db)
    page = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert ROW.findall(page) == [str(i) for i in ids[:50]]
    assert "51 requests." in page
    assert 'href="/admin/requests/stalled?page=2">Next page' in page
    assert _listed(client, "/admin/requests/stalled?page=2") == ids[50:]
    assert _listed(client, "/admin/requests/stalled?page=3") == []
    # Nonsense pages are refused as every list refuses them, never a server error.
    assert client.get("/admin/requests/stalled?page=abc").status_code == 400
    assert client.get("/admin/requests/stalled?page=-3").status_code == 404
    assert client.get(f"/admin/requests/stalled?page={10**30}").status_code == 404


def test_the_queue_tab_sits_beside_the_other_request_queues(client, db):
    _admin(client, db)
    unmatched = client.get("/admin/requests").get_data(as_text=True)
    assert '<a href="/admin/requests/stalled">Stalled: no one left to invite</a>' in unmatched
    stalled = client.get("/admin/requests/stalled").get_data(as_text=True)
    assert "<strong>Stalled: no one left to invite</strong>" in stalled
    assert '<a href="/admin/requests?queue=unmatched">' in stalled
    assert "No stalled request." in stalled


def test_the_query_reaches_offers_and_quotes_through_their_request_index(db):
    dialect = db.get_bind().dialect
    sql = stalled_query(now=utcnow()).compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    connection = db.connection()
    if dialect.name == "postgresql":
        # Tiny test tables make a sequential scan cheapest; forbid it to see the index is usable.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {sql}").all()
    else:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    db.rollback()
    described = " ".join(str(part) for row in plan for part in row)
    for index in ("ix_lead_offer_request_id", "ix_quote_request_id", "ix_quote_request_status"):
        assert index in described, described

"""Personal data past retention: which requests are due, what a purge wipes and keeps, the job,
and what the business's links and the other audiences' pages show afterwards."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import col, func, select

from matcher.businesses import quote_requests, retention
from matcher.leads import lifecycle
from matcher.models import (
    LeadOffer,
    OutboxMessage,
    Provider,
    Quote,
    QuoteRequest,
    Rating,
    RequestStatus,
    utcnow,
)
from matcher.quotes import answers, decisions
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.factories import make_request
from tests.lead_helpers import act, cb_figures, cbs, fresh, login_as, matched_request, request_path
from workers import retention as retention_job
from workers.schedule import periodic_jobs

NOW = utcnow().replace(microsecond=0)
YEAR = timedelta(days=365)
MONTH = timedelta(days=retention.UNCONFIRMED_DAYS)
SECOND = timedelta(seconds=1)

PERSONAL = {
    "company_name": "Zebulon Cheese Presses Ltd",
    "contact_name": "Quentin Marlowe",
    "email": "quentin@zebulon.example",
    "phone": "+44 20 7946 0123",
    "region": "Wensleydale Vale",
    "notes": "Quentin prefers calls on 07700 900123.",
    "current_consultant_name": "Harriet Vossberg",
    "previous_consultants": [{"name": "Ottoline Brackenbury Advisers", "provider_id": None}],
}
# Pieces of the above as they may be copied into mail bodies, messages and comments.
TRACES = (
    "zebulon", "quentin", "marlowe", "7946 0123", "900123", "wensleydale", "vossberg",
    "brackenbury",
)  # fmt: skip


def _dump(db) -> str:
    """Every row of every table in the database, as text, lower-cased."""
    db.rollback()
    connection = db.connection()
    rows = [
        repr(tuple(row))
        for table in sorted(inspect(connection).get_table_names())
        for row in connection.execute(text(f'SELECT * FROM "{table}"'))
    ]
    return "\n".join(rows).lower()


def _due(db, now=NOW) -> list[int]:
    db.rollback()
    return retention.requests_due_purge(db, now=now)


def _lived_request(db, app):
    """A request's whole life, a year and a month ago: quoted, declined, accepted, rated, closed.

    Returns (request id, provider ids); every free-text field holds the business's names.
    """
    start = NOW - YEAR - timedelta(days=40)
    providers = cbs(db, 3)
    quote_request, offers = matched_request(db, providers, now=start, **PERSONAL)
    later = start + timedelta(hours=1)
    act(app, quote_requests.resend_links, email=PERSONAL["email"].upper())
    chosen, declining, left_open = offers
    figures = cb_figures(
        message="Dear Quentin Marlowe, thank you.", justification="Zebulon: 1 site"
    )
    act(
        app, answers.submit_quote, offer_id=chosen.id, provider_id=chosen.provider_id,
        figures=figures, now=later,
    )  # fmt: skip
    act(
        app, answers.decline_offer, offer_id=declining.id, provider_id=declining.provider_id,
        reason="other", note="Quentin at Zebulon called us already.", now=later,
    )  # fmt: skip
    db.rollback()
    quote_id = db.exec(select(Quote.id).where(Quote.offer_id == chosen.id)).one()
    act(app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote_id, now=later)
    act(
        app, decisions.rate_provider, request_id=quote_request.id, stars=4,
        comment="Marlowe family: very thorough.", now=later,
    )  # fmt: skip
    act(app, lifecycle.close_request, request_id=quote_request.id, now=start + timedelta(days=31))
    db.rollback()  # end the read above: on SQLite a stale snapshot cannot write
    return quote_request.id, [p.id for p in providers]


def _stats(db, request_id: int) -> tuple:
    db.rollback()
    request = db.get(QuoteRequest, request_id)
    kept = (
        request.status, request.standards, request.sector, request.employees, request.sites,
        request.country, request.budget, request.currency, request.created_at, request.closed_at,
    )  # fmt: skip
    offers = db.exec(
        select(LeadOffer.provider_id, LeadOffer.status, LeadOffer.decline_reason, LeadOffer.score)
        .where(LeadOffer.request_id == request_id)
        .order_by(LeadOffer.id)
    ).all()
    prices = db.exec(
        select(Quote.status, Quote.day_rate, Quote.three_year_total, Quote.stage1_days).where(
            Quote.request_id == request_id
        )
    ).all()
    stars = db.exec(select(Rating.stars).where(Rating.request_id == request_id)).all()
    records = db.exec(
        select(
            Provider.id, Provider.rating_count, Provider.rating_sum, Provider.offers_answered
        ).order_by(Provider.id)
    ).all()
    return kept, offers, prices, stars, records


# ---------------------------------------------------------------- which requests are due


def test_ended_requests_are_due_a_year_after_closing_and_unconfirmed_ones_after_a_month(app, db):
    cases = {
        "closed_on_the_day": dict(status=RequestStatus.CLOSED, closed_at=NOW - YEAR),
        "closed_a_second_short": dict(status=RequestStatus.CLOSED, closed_at=NOW - YEAR + SECOND),
        "withdrawn_on_the_day": dict(status=RequestStatus.WITHDRAWN, closed_at=NOW - YEAR),
        "withdrawn_recently": dict(status=RequestStatus.WITHDRAWN, closed_at=NOW - YEAR + SECOND),
        "closed_without_date": dict(status=RequestStatus.CLOSED, created_at=NOW - YEAR),
        "unconfirmed_a_month": dict(created_at=NOW - MONTH),
        "unconfirmed_a_second_short": dict(created_at=NOW - MONTH + SECOND),
        "already_purged": dict(status=RequestStatus.CLOSED, closed_at=NOW - 2 * YEAR,
                               purged_at=NOW - YEAR),
    }  # fmt: skip
    for status in (
        RequestStatus.CONFIRMED,
        RequestStatus.MATCHED,
        RequestStatus.UNMATCHED,
        RequestStatus.ACCEPTED,
    ):
        # Still live however old: they close first, and only then start their retention.
        cases[f"live_{status}"] = dict(
            status=status, created_at=NOW - 3 * YEAR, confirmed_at=NOW - 3 * YEAR
        )
    ids = {name: make_request(db, **fields).id for name, fields in cases.items()}
    due = {
        "closed_on_the_day",
        "withdrawn_on_the_day",
        "closed_without_date",
        "unconfirmed_a_month",
    }

    assert _due(db) == sorted(ids[name] for name in due)
    days = retention.retention_days()
    for name, request_id in ids.items():
        assert retention.is_due(db.get(QuoteRequest, request_id), now=NOW, days=days) == (
            name in due
        ), name


def test_the_retention_period_comes_from_the_configuration(app, db):
    closed = make_request(db, status=RequestStatus.CLOSED, closed_at=NOW - timedelta(days=11))
    assert _due(db) == []
    app.config["DATA_RETENTION_DAYS"] = 10
    assert _due(db) == [closed.id]


def test_a_closed_request_whose_lead_is_somehow_still_open_is_not_purged(app, db):
    quote_request, _ = matched_request(db, cbs(db, 1), now=NOW - 2 * YEAR, **PERSONAL)
    db.rollback()
    row = db.get(QuoteRequest, quote_request.id)
    row.status, row.closed_at = RequestStatus.CLOSED, NOW - 2 * YEAR
    db.add(row)
    db.commit()

    assert act(app, retention.purge_request, request_id=quote_request.id, now=NOW) is False
    assert fresh(db, QuoteRequest, quote_request.id).email == PERSONAL["email"]


# ---------------------------------------------------------------- what a purge wipes and keeps


def test_a_purge_leaves_no_trace_of_the_business_and_keeps_the_statistics(app, db):
    request_id, _ = _lived_request(db, app)
    other = make_request(db, status=RequestStatus.CLOSED, closed_at=NOW, email="eve@other.example")
    before = _dump(db)
    assert all(trace in before for trace in TRACES)
    stats = _stats(db, request_id)

    assert act(app, retention.purge_request, request_id=request_id, now=NOW) is True

    after = _dump(db)
    assert [trace for trace in TRACES if trace in after] == []
    assert _stats(db, request_id) == stats
    purged = fresh(db, QuoteRequest, request_id)
    assert purged.purged_at == NOW
    assert (purged.email, purged.phone, purged.notes, purged.fingerprint) == ("", None, None, "")
    # Mail about it that never left stays unsent; the other business's request is untouched.
    statuses = db.exec(
        select(OutboxMessage.status).where(OutboxMessage.request_id == request_id)
    ).all()
    assert statuses and set(statuses) == {retention.MAIL_PURGED}
    to_providers = db.exec(
        select(OutboxMessage.to_email)
        .where(OutboxMessage.request_id == request_id)
        .where(col(OutboxMessage.provider_id).is_not(None))
    ).all()
    assert to_providers and all(address.endswith(".example") for address in to_providers)
    assert fresh(db, QuoteRequest, other.id).email == "eve@other.example"
    assert "eve@other.example" in after


def test_a_purge_runs_once_and_a_second_one_changes_nothing(app, db):
    request_id, _ = _lived_request(db, app)
    assert act(app, retention.purge_request, request_id=request_id, now=NOW) is True
    snapshot = _dump(db)

    assert act(app, retention.purge_request, request_id=request_id, now=NOW + YEAR) is False
    assert retention_job.purge_personal_data(now=NOW + YEAR) == {
        "purged": 0, "skipped": 0, "failed": 0,
    }  # fmt: skip
    assert _dump(db) == snapshot


def test_a_purge_that_fails_half_way_changes_nothing_and_holds_back_no_other(
    app, db, monkeypatch, caplog
):
    broken = make_request(db, status=RequestStatus.WITHDRAWN, closed_at=NOW - YEAR, **PERSONAL)
    fine = make_request(db, status=RequestStatus.WITHDRAWN, closed_at=NOW - YEAR)
    wipe_answers = retention._purge_answers

    def failing(session, request_id):
        wipe_answers(session, request_id)
        if request_id == broken.id:
            raise RuntimeError(PERSONAL["email"])

    monkeypatch.setattr(retention, "_purge_answers", failing)
    with caplog.at_level(logging.INFO):
        counts = retention_job.purge_personal_data(now=NOW)

    assert counts == {"purged": 1, "skipped": 0, "failed": 1}
    assert f"request {broken.id} not purged: RuntimeError" in caplog.text
    assert PERSONAL["email"] not in caplog.text

    assert fresh(db, QuoteRequest, broken.id).email == PERSONAL["email"]
    assert fresh(db, QuoteRequest, broken.id).purged_at is None
    assert fresh(db, QuoteRequest, fine.id).purged_at == NOW


# ---------------------------------------------------------------- the daily job


def test_the_purge_is_a_daily_cron_job_and_runs_on_a_real_worker(app, db, jobs, caplog):
    options = {func.__name__: opts for func, opts in periodic_jobs(app)}
    assert options["purge_personal_data"] == {"cron": retention_job.DAILY_AT}
    request_id, _ = _lived_request(db, app)
    pending = make_request(db, created_at=utcnow() - MONTH - SECOND, email="new@zebulon.example")
    live = make_request(db, status=RequestStatus.MATCHED, confirmed_at=NOW - 2 * YEAR)

    from matcher.queue import get_queue

    with app.app_context():
        get_queue("default").enqueue(retention_job.purge_personal_data)
    with caplog.at_level(logging.INFO):
        jobs()

    assert fresh(db, QuoteRequest, request_id).purged_at is not None
    assert fresh(db, QuoteRequest, pending.id).purged_at is not None
    assert fresh(db, QuoteRequest, live.id).purged_at is None
    # Mail already delivered stays on record as sent (without its body); nothing is left to send.
    statuses = set(
        db.exec(select(OutboxMessage.status).where(OutboxMessage.request_id == request_id)).all()
    )
    assert statuses == {"sent"}
    ours = [r.getMessage() for r in caplog.records if r.name == "workers.retention"]
    assert ours == ["retention: 2 requests purged, 0 skipped, 0 failed"]


def test_the_job_works_through_every_batch(app, db, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    ids = [
        make_request(db, status=RequestStatus.CLOSED, closed_at=NOW - YEAR - timedelta(days=n)).id
        for n in range(5)
    ]
    assert retention_job.purge_personal_data(now=NOW.isoformat())["purged"] == 5
    db.rollback()
    purged = db.exec(
        select(func.count())
        .select_from(QuoteRequest)
        .where(col(QuoteRequest.id).in_(ids), QuoteRequest.purged_at == NOW)
    ).one()
    assert purged == 5


# ---------------------------------------------------------------- the links and pages after


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            dict(status=RequestStatus.CLOSED, confirmed_at=NOW - 2 * YEAR, closed_at=NOW - YEAR),
            "deleted 365 days later",
        ),
        (
            dict(created_at=NOW - MONTH),
            "never confirmed, so its details were deleted after 30 days",
        ),
    ],
)
def test_a_purged_request_link_answers_410_and_says_why(app, db, client, fields, says):
    quote_request = make_request(db, **fields)
    path = request_path(app, quote_request)
    assert client.get(path).status_code == 200
    act(app, retention.purge_request, request_id=quote_request.id, now=NOW)

    response = client.get(path)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert says in page and "privacy policy" in page
    assert client.get(path + "x").status_code == 404


def test_every_action_on_a_purged_request_is_refused_and_changes_nothing(app, db, client):
    request_id, _ = _lived_request(db, app)
    pending = make_request(db, created_at=NOW - MONTH)
    for purged in (request_id, pending.id):
        act(app, retention.purge_request, request_id=purged, now=NOW)
    path = request_path(app, fresh(db, QuoteRequest, request_id))
    db.rollback()
    quote_id = db.exec(select(Quote.id).where(Quote.request_id == request_id)).first()
    token = csrf_token(client, "/r/resend")
    snapshot = _dump(db)

    posts = [
        request_path(app, pending),  # confirm
        f"{path}/quotes/{quote_id}/accept",
        f"{path}/quotes/{quote_id}/decline",
        f"{path}/withdraw",
    ]
    for url in posts:
        assert client.post(url, data={"csrf_token": token}).status_code == 410, url
    rating = {"csrf_token": token, "stars": "1", "comment": "again"}
    assert client.post(f"{path}/rate", data=rating).status_code == 410
    assert _dump(db) == snapshot


def test_resend_never_mails_links_to_a_purged_request(app, db, client):
    quote_request = make_request(db, created_at=NOW - MONTH, **PERSONAL)
    act(app, retention.purge_request, request_id=quote_request.id, now=NOW)
    token = csrf_token(client, "/r/resend")

    response = client.post("/r/resend", data={"email": PERSONAL["email"], "csrf_token": token})

    assert response.status_code == 200
    db.rollback()
    assert db.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_admin_and_the_chosen_provider_see_the_request_without_its_personal_data(app, db, client):
    request_id, provider_ids = _lived_request(db, app)
    act(app, retention.purge_request, request_id=request_id, now=NOW)
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)

    page = client.get(f"/admin/requests/{request_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Personal data" in html and "past retention" in html
    assert not [trace for trace in TRACES if trace in html.lower()]

    provider_client = app.test_client()
    db.rollback()
    winner = db.get(Provider, provider_ids[0])
    login_as(provider_client, db, winner)
    db.rollback()
    offer_id = db.exec(
        select(LeadOffer.id).where(LeadOffer.request_id == request_id).order_by(LeadOffer.id)
    ).first()
    lead = provider_client.get(f"/provider/leads/{offer_id}")
    assert lead.status_code == 200
    html = lead.get_data(as_text=True)
    assert "past our retention period" in html and "ISO 9001" in html
    assert not [trace for trace in TRACES if trace in html.lower()]

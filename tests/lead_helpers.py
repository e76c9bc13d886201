"""Helpers for the quote, lead and lifecycle tests: matched requests, offers, quotes, logins."""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from matcher.models import (
    LeadOffer,
    OutboxMessage,
    ProviderKind,
    Quote,
    QuoteStatus,
    RequestStatus,
    utcnow,
)
from matcher.quotes.errors import QuoteError
from tests.auth_helpers import PROVIDER_PASSWORD, login, make_provider_user
from tests.factories import make_request
from tests.provider_factories import make_provider

WINDOW = timedelta(hours=48)


def cb_figures(**overrides) -> dict:
    """A valid firm CB quote: 1.5 + 2.5 days (the MD 5 minimum for 45 people, ISO 9001)."""
    return {
        "stage1_days": "1.5",
        "stage2_days": "2.5",
        "surveillance_days": "1.5",
        "recertification_days": "3",
        "day_rate": "1000",
        "application_fee": "200",
        "certificate_fee": "150",
        "annual_fee": "300",
        "travel": "estimate",
        "travel_estimate": "400",
        "justification": "",
        "valid_until": date.today() + timedelta(days=30),
        "message": "We can start next month.",
        **overrides,
    }


def consultant_figures(**overrides) -> dict:
    """A valid firm consultant quote: 8 days at 600."""
    return {
        "fee_type": "daily",
        "fee": "600",
        "days": "8",
        "duration_weeks": 12,
        "included": "Gap analysis, documentation, internal audit.",
        "valid_until": date.today() + timedelta(days=30),
        "message": "",
        **overrides,
    }


def form_data(figures: dict) -> dict:
    """Figures as a browser posts them."""
    return {k: ("" if v is None else str(v)) for k, v in figures.items()}


def matched_request(db, providers, *, now: datetime | None = None, **request_fields):
    """A confirmed, matched request offered to `providers`; return (request, offers)."""
    db.rollback()  # a stale read snapshot cannot write on SQLite
    now = now or utcnow()
    values = {
        "status": RequestStatus.MATCHED,
        "confirmed_at": now,
        "matched_at": now,
        **request_fields,
    }
    quote_request = make_request(db, **values)
    offers = []
    for rank, provider in enumerate(providers, start=1):
        offer = LeadOffer(
            request_id=quote_request.id,
            provider_id=provider.id,
            rank=rank,
            offered_at=now,
            expires_at=now + WINDOW,
        )
        db.add(offer)
        offers.append(offer)
    db.commit()
    for offer in offers:
        db.refresh(offer)
    return quote_request, offers


def indicative_quote(db, offer: LeadOffer, **figures) -> Quote:
    """An indicative CB quote on an offer, as the match job writes it."""
    db.rollback()
    values = {
        "stage1_days": Decimal("1.5"),
        "stage2_days": Decimal("2.5"),
        "surveillance_days": Decimal("1.33"),
        "recertification_days": Decimal("2.67"),
        "day_rate": Decimal("950.00"),
        "travel": "at_cost",
        **figures,
    }
    quote = Quote(
        offer_id=offer.id,
        request_id=offer.request_id,
        provider_id=offer.provider_id,
        kind=ProviderKind.CERTIFICATION_BODY,
        currency="GBP",
        status=QuoteStatus.INDICATIVE,
        working={"assumptions": ["Stage 1 is one third of the initial audit time."]},
        **values,
    )
    db.add(quote)
    db.commit()
    db.refresh(quote)
    return quote


def cbs(db, count: int, **fields) -> list:
    """`count` verified certification bodies for ISO 9001, sector 17, in GB."""
    return [make_provider(db, **fields) for _ in range(count)]


def consultant(db, **fields):
    """A verified consultant for ISO 9001 in GB."""
    return make_provider(db, kind=ProviderKind.CONSULTANT, accreditation_body=None, **fields)


def act(app, func, **kwargs):
    """Run a domain function in its own committed transaction, as a view or a job does."""
    from matcher.db import transaction

    with app.app_context(), transaction() as session:
        return func(session, **kwargs)


def fresh(db, model, row_id):
    """Read a row as committed right now."""
    db.rollback()
    db.expire_all()
    return db.get(model, row_id)


def offer_statuses(db, request_id: int) -> dict[int, str]:
    """provider id -> offer status for a request."""
    db.rollback()
    rows = db.exec(
        select(LeadOffer.provider_id, LeadOffer.status).where(LeadOffer.request_id == request_id)
    ).all()
    return dict(rows)


def mails(db, template: str | None = None) -> list[OutboxMessage]:
    """Outbox messages, optionally of one template, oldest first."""
    db.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.exec(query).all())


def login_as(client, db, provider):
    """Give the provider a login and log the client in as it."""
    make_provider_user(db, provider)
    response = login(client, provider.email, PROVIDER_PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def request_path(app, quote_request) -> str:
    """The business's /r/<token> page of a request."""
    from matcher.links import request_token

    with app.app_context():
        return f"/r/{request_token(quote_request.public_id)}"


def at_the_same_moment(app, actions) -> list:
    """Run each (func, kwargs) in its own thread and transaction at once; return the results.

    A refusal (QuoteError) is a result like any other; any other error fails the test.
    """
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, func, kwargs):
        barrier.wait()
        try:
            results[index] = act(app, func, now=utcnow(), **kwargs)
        except Exception as error:  # noqa: BLE001  checked below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, *action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, QuoteError)]
    assert not unexpected, unexpected
    return results

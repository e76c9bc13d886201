"""Demo data for the quote loop: a fictional business whose request some demo providers answer.

Run after the demo providers are loaded, so the comparison page is never empty in the demo:
the request is matched like any other, and every offered provider except the two demo logins
sends a firm quote from its price list (so those logins still find an open lead to answer).
Running it again adds nothing.
"""

from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlmodel import select

from matcher import links
from matcher.db import transaction
from matcher.leads import offers
from matcher.models import Provider, QuoteRequest, RequestStatus, utcnow
from matcher.providers import profiles as providers
from matcher.quotes import estimates, indicative
from matcher.quotes.answers import submit_quote

DEMO_BUSINESS_EMAIL = "ann.smith@acme-brackets.example"
DEMO_REQUEST = {
    "company_name": "Acme Brackets Ltd",
    "contact_name": "Ann Smith",
    "email": DEMO_BUSINESS_EMAIL,
    "phone": "+441134960123",
    "country": "GB",
    "region": "Yorkshire",
    "sector": 17,
    "employees": 45,
    "sites": 1,
    "standards": "iso9001",
    "service": "both",
    "certification_status": "new",
    "timeline": "3_months",
    "budget": 8000,
    "notes": "We make steel brackets for the building trade and want ISO 9001 this year.",
    "currency": "GBP",
}
MESSAGES = (
    "We audit many metalworking firms in Yorkshire and can start within a month.",
    "Fixed price, no surprises: happy to walk you through the audit plan on a call.",
)


def seed_demo_leads(app: Flask, *, keep_open: tuple[str, ...] = ()) -> str | None:
    """Create, match and partly answer the demo request once; return the business's link."""
    with app.app_context(), transaction() as session:
        found = session.exec(
            select(QuoteRequest).where(QuoteRequest.email == DEMO_BUSINESS_EMAIL)
        ).first()
        if found is not None:
            return links.request_url(found.public_id)
        now = utcnow()
        quote_request = QuoteRequest(
            public_id=links.new_public_id(),
            fingerprint="demo-" + links.new_public_id(),
            status=RequestStatus.CONFIRMED,
            confirmed_at=now,
            **DEMO_REQUEST,
        )
        session.add(quote_request)
        session.flush()
        outcome = offers.match_request(session, quote_request.id, now=now)
        answered = 0
        for offer in outcome.offers:
            provider = session.get(Provider, offer.provider_id)
            if provider.email in keep_open:
                continue
            submit_quote(
                session,
                offer_id=offer.id,
                provider_id=provider.id,
                figures={
                    **demo_figures(session, quote_request, provider),
                    "valid_until": (now + timedelta(days=60)).date(),
                    "message": MESSAGES[answered % len(MESSAGES)],
                },
                now=now + timedelta(hours=2 + 3 * answered),
            )
            answered += 1
        return links.request_url(quote_request.public_id)


def demo_figures(session, quote_request: QuoteRequest, provider: Provider) -> dict:
    """A plausible firm quote from the provider's price list and the MD 5 audit time."""
    facts = indicative.facts_of(quote_request, session=session)
    prices = indicative.price_list_of(provider, providers.packages_of(session, provider))
    found = estimates.estimate(facts, prices)
    if found.available:
        figures = {k: v for k, v in found.figures.items() if v is not None}
        if figures.get("travel") == "estimate" and "travel_estimate" not in figures:
            figures["travel_estimate"] = Decimal("350")
        figures.setdefault("travel", "included")
        return figures
    if provider.kind == "certification_body":
        return {
            "stage1_days": "1.5", "stage2_days": "2.5", "surveillance_days": "1.33",
            "recertification_days": "2.67", "day_rate": provider.day_rate or Decimal("950"),
            "travel": "included",
        }  # fmt: skip
    return {
        "fee_type": "daily",
        "fee": provider.day_rate or Decimal("650"),
        "days": "8",
        "duration_weeks": 10,
        "included": "Gap analysis, documentation, training and an internal audit.",
    }


def demo_request_link(app: Flask) -> str | None:
    """The demo business's page, once seeded."""
    with app.app_context(), transaction() as session:
        found = session.exec(
            select(QuoteRequest.public_id).where(QuoteRequest.email == DEMO_BUSINESS_EMAIL)
        ).first()
        return links.request_url(found) if found else None

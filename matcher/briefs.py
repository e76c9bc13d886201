"""The anonymised brief a provider sees before the business accepts its quote.

Never the company name, the contact's name, e-mail or phone; notes lose e-mail addresses,
phone numbers, links and the business's own names typed into them (matcher.redaction).
"""

from dataclasses import dataclass

from matcher import reference
from matcher.business_names import mailbox_names
from matcher.models import QuoteRequest
from matcher.redaction import redact_free_text

BUDGET_BANDS = (1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000)


@dataclass(frozen=True)
class Brief:
    """What a provider may know about a request before its quote is accepted."""

    standards: list[str]
    service: str
    sector: str
    employees: int
    sites: int
    country: str
    region: str | None
    timeline: str
    certification_status: str
    budget_band: str | None
    currency: str
    notes: str | None


def budget_band(budget: int | None, currency: str) -> str | None:
    """A range around the business's budget, never the exact figure."""
    if not budget or budget <= 0:
        return None
    lower = 0
    for upper in BUDGET_BANDS:
        if budget < upper:
            return f"{lower:,} to {upper:,} {currency}" if lower else f"under {upper:,} {currency}"
        lower = upper
    return f"{lower:,} {currency} or more"


def build_brief(quote_request: QuoteRequest) -> Brief:
    """The anonymised brief of a request."""
    names = (
        quote_request.company_name,
        quote_request.contact_name,
        *mailbox_names(quote_request.email),
    )
    sectors = reference.iaf_sectors()
    country = reference.countries().get(quote_request.country, quote_request.country)
    return Brief(
        standards=[reference.STANDARDS.get(s, s) for s in quote_request.standard_codes],
        service=reference.SERVICES.get(quote_request.service, quote_request.service),
        sector=f"{quote_request.sector}. {sectors.get(quote_request.sector, '')}".strip(),
        employees=quote_request.employees,
        sites=quote_request.sites,
        country=country,
        region=quote_request.region,
        timeline=reference.TIMELINES.get(quote_request.timeline, quote_request.timeline),
        certification_status=reference.CERTIFICATION_STATUSES.get(
            quote_request.certification_status, quote_request.certification_status
        ),
        budget_band=budget_band(quote_request.budget, quote_request.currency),
        currency=quote_request.currency,
        notes=redact_free_text(
            quote_request.notes,
            country=quote_request.country,
            names=names,
            known_words=(country, quote_request.region),
        ),
    )

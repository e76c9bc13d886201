"""The anonymised brief a provider sees before the business accepts its quote.

Never the company name, the contact's name, e-mail or phone. Every free-text field (a field
marked `free_text()`) is built by `redact_free_text` alone: e-mail addresses, phone numbers,
links and the business's own names typed into it are removed.
"""

import re
from dataclasses import dataclass, field, fields

from matcher.businesses.names import fold, mailbox_names
from matcher.businesses.redaction import redact_free_text
from matcher.iso import reference
from matcher.models import QuoteRequest

BUDGET_BANDS = (1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000)


def free_text():
    """Mark a Brief field as typed by the business: build_brief fills it redacted."""
    return field(metadata={"free_text": True})


@dataclass(frozen=True)
class Brief:
    """What a provider may know about a request before its quote is accepted."""

    standards: list[str]
    service: str
    sector: str
    employees: int
    sites: int
    country: str
    region: str | None = free_text()
    timeline: str
    certification_status: str
    budget_band: str | None
    currency: str
    notes: str | None = free_text()


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


def _place_words(region: str | None, people: tuple[str | None, ...]) -> str:
    """The words of the region that are not words of the contact's own names."""
    own = {fold(word) for name in people if name for word in re.findall(r"[^\W_]+", name)}
    return " ".join(w for w in re.findall(r"[^\W_]+", region or "") if fold(w) not in own)


def build_brief(quote_request: QuoteRequest) -> Brief:
    """The anonymised brief of a request; every free-text field redacted the same way."""
    people = (quote_request.contact_name, *mailbox_names(quote_request.email))
    country = reference.countries().get(quote_request.country, quote_request.country)
    sectors = reference.iaf_sectors()
    # The region's place words are shown anyway, so a company name word equal to one
    # ("Yorkshire" of "Yorkshire Castings") is no clue; the contact's own name words always go.
    region = redact_free_text(quote_request.region, country=quote_request.country)
    known_words = (country, _place_words(region, people))
    redacted = {
        item.name: redact_free_text(
            getattr(quote_request, item.name),
            country=quote_request.country,
            names=(quote_request.company_name, *people),
            known_words=known_words,
        )
        for item in fields(Brief)
        if item.metadata.get("free_text")
    }
    return Brief(
        standards=[reference.STANDARDS.get(s, s) for s in quote_request.standard_codes],
        service=reference.SERVICES.get(quote_request.service, quote_request.service),
        sector=f"{quote_request.sector}. {sectors.get(quote_request.sector, '')}".strip(),
        employees=quote_request.employees,
        sites=quote_request.sites,
        country=country,
        timeline=reference.TIMELINES.get(quote_request.timeline, quote_request.timeline),
        certification_status=reference.CERTIFICATION_STATUSES.get(
            quote_request.certification_status, quote_request.certification_status
        ),
        budget_band=budget_band(quote_request.budget, quote_request.currency),
        currency=quote_request.currency,
        **redacted,
    )

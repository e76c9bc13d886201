"""The anonymised brief a provider sees before the business accepts its quote.

Never the company name, the contact's name, e-mail or phone; notes lose e-mail addresses,
phone numbers, links and the business's own names typed into them.
"""

import re
from dataclasses import dataclass

from matcher import reference
from matcher.business_names import mailbox_names, name_alternatives
from matcher.models import QuoteRequest

EMAIL_REMOVED = "[e-mail removed]"
PHONE_REMOVED = "[phone removed]"
LINK_REMOVED = "[link removed]"
NAME_REMOVED = "[name removed]"
_PLACEHOLDERS = "|".join(
    re.escape(p) for p in (EMAIL_REMOVED, PHONE_REMOVED, LINK_REMOVED, NAME_REMOVED)
)

# Alternatives are tried left to right: standard references and dates are kept as they are,
# so "ISO 9001 14001" or "2025-03-01" never pass for a phone number.
_PATTERN = re.compile(
    r"""
    (?P<keep>
        \b(?:ISO(?:/IEC)?|IEC|EN|BS|IATF)[\s/-]*\d+(?:[\s,/&+-]+(?:and\s+)?\d{4,5})*(?::\d{4})?
      | \b(?:9001|14001|45001|27001|22000|13485|50001)(?::\d{4})?\b
      | \b\d{4}-\d{2}-\d{2}\b
      | \b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b
    )
  | (?P<email>
        [\w.+%-]+\s*(?:@|[\[({<]\s*at\s*[\])}>])\s*[\w-]+
        (?:\s*(?:\.|[\[({<]\s*dot\s*[\])}>])\s*[\w-]+)+
      | \b[\w.+-]+\s+at\s+[\w-]+(?:\s+dot\s+[a-z]{2,})+\b
    )
  | (?P<link>
        (?:https?|ftp)://\S+
      | \bwww\.\S+
      | \b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:[a-z]{2,24})\b(?:/\S*)?
    )
  | (?P<phone>
        (?<![\w.])(?:\+|00)?\s?\(?\d[\d\s().\-/]{5,}\d(?![\w])
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

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


def _name_replace(match: re.Match) -> str:
    text = match.group(0)
    return text if re.fullmatch(_PLACEHOLDERS, text) else NAME_REMOVED


def _replace(match: re.Match) -> str:
    kind = match.lastgroup
    if kind == "keep":
        return match.group(0)
    if kind == "phone":
        digits = sum(ch.isdigit() for ch in match.group(0))
        return PHONE_REMOVED if 7 <= digits <= 15 else match.group(0)
    return EMAIL_REMOVED if kind == "email" else LINK_REMOVED


def scrub_notes(
    text: str | None,
    *,
    names: tuple[str | None, ...] = (),
    known_words: tuple[str | None, ...] = (),
) -> str | None:
    """Remove e-mail addresses, phone numbers, links and the given names from free text.

    `known_words` (country, region) are shown in the brief anyway, so a name word equal to one
    of them is not removed on its own.
    """
    if not text:
        return None
    cleaned = _PATTERN.sub(_replace, text)
    alternatives = name_alternatives(names, known_words=known_words)
    if alternatives:
        # Placeholders already written are matched first so that no name is found inside them.
        pattern = "|".join([_PLACEHOLDERS, *alternatives])
        cleaned = re.sub(pattern, _name_replace, cleaned, flags=re.IGNORECASE)
    return cleaned.strip() or None


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
        notes=scrub_notes(
            quote_request.notes, names=names, known_words=(country, quote_request.region)
        ),
    )

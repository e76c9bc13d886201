"""A quote's figures: which fields each provider kind fills, their checks, total and MD 5 days."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from matcher.iso import audit_time
from matcher.models import ProviderKind, Quote, QuoteRequest
from matcher.quotes import complexity, quote_math

CB_FIELDS = (
    "stage1_days", "stage2_days", "surveillance_days", "recertification_days", "day_rate",
    "application_fee", "certificate_fee", "annual_fee", "travel", "travel_estimate",
    "justification",
)  # fmt: skip
CONSULTANT_FIELDS = ("fee_type", "fee", "days", "duration_weeks", "included")
DECIMAL_FIELDS = {
    "stage1_days", "stage2_days", "surveillance_days", "recertification_days", "day_rate",
    "application_fee", "certificate_fee", "annual_fee", "travel_estimate", "fee", "days",
}  # fmt: skip


def validate_figures(kind: str, figures: Mapping[str, object], *, today: date) -> dict[str, str]:
    """Check a quote's figures for a provider kind; return field name -> message."""
    if kind == ProviderKind.CERTIFICATION_BODY:
        errors = quote_math.validate_cb_figures(figures)
    else:
        errors = quote_math.validate_consultant_figures(figures)
    valid_until = figures.get("valid_until")
    if not isinstance(valid_until, date):
        errors["valid_until"] = "Enter the date until which the quote is valid."
    elif valid_until < today:
        errors["valid_until"] = "The quote must be valid today or later."
    return errors


def figure(name: str, value):
    """A submitted value as the Quote stores it: blank is None, money and days are Decimal."""
    if isinstance(value, str):
        value = value.strip() or None
    if value is not None and name in DECIMAL_FIELDS:
        return Decimal(str(value))
    return value


def total_of(quote: Quote) -> quote_math.QuoteTotal:
    """The three-year total of a quote's figures, exactly as DESIGN.md defines it."""
    if quote.kind == ProviderKind.CERTIFICATION_BODY:
        return quote_math.cb_three_year_total(
            **{name: getattr(quote, name) for name in CB_FIELDS if name != "justification"}
        )
    return quote_math.consultant_total(fee_type=quote.fee_type, fee=quote.fee, days=quote.days)


def days_check(
    session: Session, quote: Quote, quote_request: QuoteRequest
) -> audit_time.DaysCheck | None:
    """A CB quote's initial audit days against the IAF MD 5 minimum; None for consultants.

    ISO 14001 / 45001 minimums use the admin's sector-to-complexity mapping when it has one.
    """
    if quote.kind != ProviderKind.CERTIFICATION_BODY or quote.stage1_days is None:
        return None
    return audit_time.check_quote_days(
        quote.stage1_days,
        quote.stage2_days,
        standards=quote_request.standard_codes,
        employees=quote_request.employees,
        complexities=complexity.complexities_for(
            session, sector=quote_request.sector, standards=quote_request.standard_codes
        ),
    )

"""Instant indicative quotes: a provider's price list x the MD 5 audit time, with the working.

Pure: plain data in, plain data out. An `Estimate` carries the figures a Quote row takes
(`figures`, named as the quote form fields), its three-year total and its working, which the
business page shows: MD 5 asks CBs to justify audit time to the client, and this is it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from matcher.iso import audit_time
from matcher.iso.audit_time import format_days
from matcher.quotes import quote_math
from matcher.quotes.quote_math import jsonable, plain

CONSULTANT, CERTIFICATION_BODY = "consultant", "certification_body"

NO_TABLE = "no_table"
MULTI_SITE = "multi_site"
NO_PRICE_LIST = "no_price_list"
CURRENCY_MISMATCH = "currency_mismatch"

STAGE_SPLIT = (
    "Stage 1 is one third of the initial audit time rounded to half days; stage 2 the rest."
)
NO_INTEGRATION = (
    "Standards are summed: no integration reduction assumed "
    "(IAF MD 11 allows up to 20% for an integrated management system)."
)


@dataclass(frozen=True)
class RequestFacts:
    """What the estimate needs to know about a request."""

    standards: tuple[str, ...]
    employees: int
    sites: int = 1
    currency: str | None = None
    complexities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Package:
    """A consultant's fixed fee or typical days for a headcount band."""

    min_employees: int
    max_employees: int
    fee: Decimal | None = None
    days: Decimal | None = None


@dataclass(frozen=True)
class PriceList:
    """A provider's price list; day_rate + currency alone is enough for a CB."""

    kind: str
    currency: str | None = None
    day_rate: Decimal | None = None
    application_fee: Decimal | None = None
    certificate_fee: Decimal | None = None
    annual_fee: Decimal | None = None
    travel_policy: str | None = None
    travel_estimate: Decimal | None = None
    packages: tuple[Package, ...] = ()


@dataclass(frozen=True)
class Estimate:
    """An indicative quote: Quote figures, the three-year total and the working."""

    kind: str
    currency: str
    figures: dict
    three_year_total: Decimal
    working: dict
    available: bool = True

    def to_json(self) -> dict:
        """Return the estimate as JSON-ready data (Decimals as strings)."""
        return jsonable(self)


@dataclass(frozen=True)
class NoEstimate:
    """Why there is no indicative quote; the page says "quote to follow"."""

    code: str
    reason: str
    available: bool = False

    def to_json(self) -> dict:
        """Return the refusal as JSON-ready data."""
        return jsonable(self)


def estimate(request: RequestFacts, prices: PriceList) -> Estimate | NoEstimate:
    """Return the indicative quote of one provider for one request, or why there is none."""
    if request.employees < 1:
        raise ValueError("employees must be at least 1")
    if request.sites > 1:
        return NoEstimate(MULTI_SITE, "multi-site: quote to follow")
    if not prices.currency:
        return NoEstimate(NO_PRICE_LIST, "no price list: quote to follow")
    if request.currency and prices.currency.upper() != request.currency.upper():
        return NoEstimate(
            CURRENCY_MISMATCH,
            f"price list in {prices.currency}, request in {request.currency}: quote to follow",
        )
    if prices.kind == CERTIFICATION_BODY:
        return _cb_estimate(request, prices)
    if prices.kind == CONSULTANT:
        return _consultant_estimate(request, prices)
    raise ValueError(f"unknown provider kind {prices.kind!r}")


def split_stages(initial: Decimal) -> tuple[Decimal, Decimal]:
    """Split initial audit days into stage 1 (a third, in halves, at least 0.5) and stage 2."""
    third = Decimal(initial) / 3
    stage1 = (third * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2
    stage1 = min(max(stage1, Decimal("0.5")), Decimal(initial) - Decimal("0.5"))
    return stage1, Decimal(initial) - stage1


def _cb_estimate(request: RequestFacts, prices: PriceList) -> Estimate | NoEstimate:
    if prices.day_rate is None:
        return NoEstimate(NO_PRICE_LIST, "no day rate: quote to follow")
    untabled = [s for s in request.standards if s not in audit_time.TABLED_STANDARDS]
    if untabled or not request.standards:
        names = ", ".join(audit_time.standard_label(s) for s in untabled) or "no standard"
        return NoEstimate(NO_TABLE, f"{names}: no IAF MD 5 audit-time table, quote to follow")
    minimum = audit_time.combined_minimum(
        request.standards, request.employees, request.complexities
    )
    initial = minimum.days
    stage1, stage2 = split_stages(initial)
    surveillance = audit_time.surveillance_days(initial)
    recertification = audit_time.recertification_days(initial)
    figures = {
        "stage1_days": stage1,
        "stage2_days": stage2,
        "surveillance_days": surveillance,
        "recertification_days": recertification,
        "day_rate": quote_math.money(prices.day_rate),
        "application_fee": _money_or_none(prices.application_fee),
        "certificate_fee": _money_or_none(prices.certificate_fee),
        "annual_fee": _money_or_none(prices.annual_fee),
        "travel": prices.travel_policy,
        "travel_estimate": _money_or_none(prices.travel_estimate),
    }
    total = quote_math.cb_three_year_total(**figures)
    assumptions = [STAGE_SPLIT]
    assumptions.append("Surveillance is 1/3 and recertification 2/3 of the initial audit time.")
    if len(minimum.parts) > 1:
        assumptions.append(NO_INTEGRATION)
    for part in minimum.parts:
        assumptions.extend(f"{audit_time.standard_label(part.standard)}: {n}" for n in part.notes)
    working = {
        "kind": CERTIFICATION_BODY,
        "currency": prices.currency,
        "employees": request.employees,
        "standards": [_standard_working(part) for part in minimum.parts],
        "initial_days": initial,
        **figures,
        "breakdown": total.lines,
        "recertification": total.recertification,
        "travel_at_cost": total.travel_at_cost,
        "not_stated": list(total.not_stated),
        "three_year_total": total.total,
        "assumptions": assumptions,
    }
    return Estimate(CERTIFICATION_BODY, prices.currency, figures, total.total, plain(working))


def _standard_working(part: audit_time.AuditTime) -> dict:
    return {
        "standard": part.standard,
        "label": audit_time.standard_label(part.standard),
        "table": part.table,
        "band": part.band,
        "complexity": part.complexity,
        "initial_days": part.days,
        "notes": list(part.notes),
    }


def _consultant_estimate(request: RequestFacts, prices: PriceList) -> Estimate | NoEstimate:
    package = next(
        (
            p
            for p in sorted(prices.packages, key=lambda p: p.min_employees)
            if p.min_employees <= request.employees <= p.max_employees
        ),
        None,
    )
    band = f"{package.min_employees}-{package.max_employees}" if package else None
    if package and package.fee is not None:
        figures = {"fee_type": quote_math.FEE_FIXED, "fee": quote_math.money(package.fee)}
        figures["days"] = package.days
        basis = f"fixed package for {band} employees"
    elif package and package.days is not None and prices.day_rate is not None:
        figures = {
            "fee_type": quote_math.FEE_DAILY,
            "fee": quote_math.money(prices.day_rate),
            "days": Decimal(package.days),
        }
        basis = f"typical {format_days(package.days)} days for {band} employees x day rate"
    else:
        return NoEstimate(
            NO_PRICE_LIST,
            f"no package or typical days for {request.employees} employees: quote to follow",
        )
    total = quote_math.consultant_total(**figures)
    working = {
        "kind": CONSULTANT,
        "currency": prices.currency,
        "employees": request.employees,
        "band": band,
        **figures,
        "breakdown": total.lines,
        "three_year_total": total.total,
        "assumptions": [basis.capitalize() + "."],
    }
    return Estimate(CONSULTANT, prices.currency, figures, total.total, plain(working))


def _money_or_none(value) -> Decimal | None:
    return None if value is None else quote_math.money(value)

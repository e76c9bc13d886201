"""The three-year total that makes quotes comparable, and checks on quote figures.

Pure: plain data in, plain data out. Money and days are Decimal; amounts are rounded to
2 places line by line, and the total is the sum of the rounded lines, so a page that shows
the breakdown always adds up.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from matcher.iso.audit_time import as_decimal, format_days

CENTS = Decimal("0.01")
NOT_STATED = "not stated"
AT_COST = "at cost: not included in the total"

TRAVEL_INCLUDED, TRAVEL_ESTIMATE, TRAVEL_AT_COST = "included", "estimate", "at_cost"
TRAVEL_CHOICES = (TRAVEL_INCLUDED, TRAVEL_ESTIMATE, TRAVEL_AT_COST)
FEE_FIXED, FEE_DAILY = "fixed", "daily"
FEE_TYPES = (FEE_FIXED, FEE_DAILY)

HALF_DAY = Decimal("0.5")
# Surveillance and recertification may carry MD 5's thirds (1.33, 2.67), which the indicative
# quote pre-fills; every other day figure is in halves.
DERIVED_DAY_STEP = CENTS
MAX_DAYS = Decimal(365)
MAX_MONEY = Decimal("999999999.99")  # fits Numeric(12, 2) in every currency, IDR included


@dataclass(frozen=True)
class Line:
    """One line of a total's breakdown; amount None means not counted (see note)."""

    key: str
    label: str
    amount: Decimal | None
    note: str | None = None


@dataclass(frozen=True)
class QuoteTotal:
    """A quote's three-year total with its breakdown and what sits beside it."""

    total: Decimal
    lines: tuple[Line, ...]
    recertification: Line | None = None
    travel_at_cost: bool = False

    @property
    def not_stated(self) -> tuple[str, ...]:
        return tuple(line.key for line in self.lines if line.note == NOT_STATED)

    def to_json(self) -> dict:
        """Return the total as JSON-ready data (Decimals as strings)."""
        return jsonable(self)


def plain(value):
    """Return dataclasses as dicts and tuples as lists, recursively; Decimals stay Decimals."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def jsonable(value):
    """Return plain data fit for json.dumps: Decimals as strings, dataclasses as dicts."""
    value = plain(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return str(value) if isinstance(value, Decimal) else value


def money(value) -> Decimal:
    """Round an amount to 2 places, half up."""
    return as_decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def _fee_line(key: str, label: str, value, times: int = 1) -> Line:
    if value is None:
        return Line(key, label, None, NOT_STATED)
    return Line(key, label, money(as_decimal(value) * times))


def _travel_line(travel: str | None, estimate) -> Line:
    if travel == TRAVEL_INCLUDED:
        return Line("travel", "Travel", Decimal("0.00"), "included")
    if travel == TRAVEL_AT_COST:
        return Line("travel", "Travel", None, AT_COST)
    if travel in (TRAVEL_ESTIMATE, None):
        return _fee_line("travel", "Travel estimate", estimate)
    raise ValueError(f"travel must be one of {', '.join(TRAVEL_CHOICES)}")


def _required(**figures) -> None:
    missing = [name for name, value in figures.items() if value is None]
    if missing:
        raise ValueError(f"missing figures: {', '.join(missing)}")


def cb_three_year_total(
    *,
    stage1_days,
    stage2_days,
    surveillance_days,
    day_rate,
    application_fee=None,
    certificate_fee=None,
    annual_fee=None,
    travel: str | None = None,
    travel_estimate=None,
    recertification_days=None,
) -> QuoteTotal:
    """Return a CB quote's three-year total as DESIGN.md defines it, with its breakdown."""
    _required(
        stage1_days=stage1_days,
        stage2_days=stage2_days,
        surveillance_days=surveillance_days,
        day_rate=day_rate,
    )
    rate = as_decimal(day_rate)
    stage1, stage2 = as_decimal(stage1_days), as_decimal(stage2_days)
    surveillance = as_decimal(surveillance_days)
    days = stage1 + stage2 + 2 * surveillance
    audit = Line(
        "audit_days",
        "Audit days (stage 1 + stage 2 + 2 surveillance years)",
        money(days * rate),
        f"({format_days(stage1)} + {format_days(stage2)} + 2 x {format_days(surveillance)})"
        f" = {format_days(days)} days x {money(rate)}",
    )
    travel_line = _travel_line(travel, travel_estimate)
    lines = (
        audit,
        _fee_line("application_fee", "Application fee", application_fee),
        _fee_line("certificate_fee", "Certificate fee", certificate_fee),
        _fee_line("annual_fees", "Annual fee x 2", annual_fee, times=2),
        travel_line,
    )
    recertification = None
    if recertification_days is not None:
        recert = as_decimal(recertification_days)
        recertification = Line(
            "recertification",
            "Recertification (year 3, not in the total)",
            money(recert * rate),
            f"{format_days(recert)} days x {money(rate)}",
        )
    return QuoteTotal(
        total=_sum(lines),
        lines=lines,
        recertification=recertification,
        travel_at_cost=travel_line.note == AT_COST,
    )


def consultant_total(*, fee_type: str, fee, days=None) -> QuoteTotal:
    """Return a consultant quote's total: the fixed fee, or days x day rate (fee is the rate)."""
    _required(fee=fee)
    if fee_type == FEE_FIXED:
        line = Line("fee", "Fixed fee", money(fee))
    elif fee_type == FEE_DAILY:
        _required(days=days)
        count = as_decimal(days)
        line = Line(
            "fee",
            "Days x day rate",
            money(count * as_decimal(fee)),
            f"{format_days(count)} days x {money(fee)}",
        )
    else:
        raise ValueError(f"fee_type must be one of {', '.join(FEE_TYPES)}")
    return QuoteTotal(total=_sum((line,)), lines=(line,))


def _sum(lines) -> Decimal:
    return sum((line.amount for line in lines if line.amount is not None), Decimal("0.00"))


# ---------------------------------------------------------------- validation


def _parse(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = as_decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("Enter a number.") from None
    if not number.is_finite():
        raise ValueError("Enter a number.")
    return number


def days_error(value, *, required: bool = True, step: Decimal = HALF_DAY) -> str | None:
    """Return what is wrong with a number of days, or None when it is fine."""
    try:
        days = _parse(value)
    except ValueError as error:
        return str(error)
    if days is None:
        return "Enter the number of days." if required else None
    if days < 0:
        return "Days cannot be negative."
    if days > MAX_DAYS:
        return f"At most {MAX_DAYS} days."
    if days % step:
        return "Use half days (0.5, 1, 1.5 ...)." if step == HALF_DAY else "At most 2 decimals."
    return None


def money_error(value, *, required: bool = False, positive: bool = False) -> str | None:
    """Return what is wrong with an amount of money, or None when it is fine."""
    try:
        amount = _parse(value)
    except ValueError as error:
        return str(error)
    if amount is None:
        return "Enter an amount." if required else None
    if amount < 0:
        return "An amount cannot be negative."
    if positive and amount == 0:
        return "Enter an amount above 0."
    if amount > MAX_MONEY:
        return f"At most {MAX_MONEY:,}."
    if amount != amount.quantize(CENTS):
        return "At most 2 decimals."
    return None


def validate_cb_figures(figures: Mapping[str, object]) -> dict[str, str]:
    """Check a CB quote's figures; return field name -> message (empty when all is well)."""
    errors = {}
    for field in ("stage1_days", "stage2_days"):
        errors[field] = days_error(figures.get(field))
    for field in ("surveillance_days", "recertification_days"):
        errors[field] = days_error(figures.get(field), step=DERIVED_DAY_STEP)
    errors["day_rate"] = money_error(figures.get("day_rate"), required=True, positive=True)
    for field in ("application_fee", "certificate_fee", "annual_fee", "travel_estimate"):
        errors[field] = money_error(figures.get(field))
    travel = figures.get("travel")
    if travel not in TRAVEL_CHOICES:
        errors["travel"] = "Choose how travel is charged."
    elif travel == TRAVEL_ESTIMATE and not errors["travel_estimate"]:
        errors["travel_estimate"] = money_error(figures.get("travel_estimate"), required=True)
    if not errors["stage1_days"] and not errors["stage2_days"]:
        initial = _parse(figures.get("stage1_days")) + _parse(figures.get("stage2_days"))
        if initial == 0:
            errors["stage2_days"] = "Stage 1 + stage 2 must be more than 0 days."
    return {field: message for field, message in errors.items() if message}


def validate_consultant_figures(figures: Mapping[str, object]) -> dict[str, str]:
    """Check a consultant quote's figures; return field name -> message."""
    errors = {}
    fee_type = figures.get("fee_type")
    if fee_type not in FEE_TYPES:
        errors["fee_type"] = "Choose a fixed fee or a day rate."
    errors["fee"] = money_error(figures.get("fee"), required=True, positive=True)
    daily = fee_type == FEE_DAILY
    errors["days"] = days_error(figures.get("days"), required=daily)
    if daily and not errors["days"] and _parse(figures.get("days")) == 0:
        errors["days"] = "Enter the number of days."
    return {field: message for field, message in errors.items() if message}

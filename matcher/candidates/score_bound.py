"""An upper bound of `matching.score`, written in SQL, to rank a request's candidates.

Same formulas, same priors and weights as `matcher.matching`; it differs by rounding (a slack
covers that), by counting a region SQL cannot normalise as a match, and by taking every
provider's use of its cap as nil. So it never falls below the exact score Python computes,
and SQL can order by it and hand over only the best few.
"""

from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
)

from matcher import matching
from matcher.matching import CERTIFICATION_BODY, CONSULTANT, RequestFacts
from matcher.models.base import UTCDateTime

# Added to the SQL score so that it bounds the Python score despite floating-point rounding.
SCORE_SLACK = 1e-6
NOW = bindparam("now", type_=UTCDateTime())
UNIX_EPOCH_JULIAN_DAY = 2440587.5


def score_parameters(request: RequestFacts, now: datetime) -> dict:
    """What the SQL score bound needs to know about the request, computed as `matching` does."""
    days = request.reference_days * max(len(request.standards), 1)
    return {
        "now": now,
        "now_julian_day": now.timestamp() / 86400 + UNIX_EPOCH_JULIAN_DAY,
        "region": matching.normalise_region(request.region),
        "priced": 1 if request.budget else 0,
        "budget": float(request.budget) if request.budget else 0.0,
        "currency": request.currency or "",
        f"days_{CONSULTANT}": days,
        f"days_{CERTIFICATION_BODY}": days * (5 / 3),
    }


def _float(value: float):
    return literal(value, Float())


def _at_most(value, limit: float, dialect: str):
    # Scalar min()/max() (LEAST/GREATEST): each operand is computed once, unlike in a CASE.
    smallest = func.least if dialect == "postgresql" else func.min
    return smallest(value, _float(limit))


def _at_least(value, limit: float, dialect: str):
    largest = func.greatest if dialect == "postgresql" else func.max
    return largest(value, _float(limit))


def _clamp(value, low: float, high: float, dialect: str):
    return _at_most(_at_least(value, low, dialect), high, dialect)


def _irregular(region, dialect: str) -> ColumnElement:
    """A region SQL cannot normalise as Python does: non-ASCII, odd spaces or other whitespace.

    For those the bound assumes the region matches; for plain ASCII regions with single
    spaces, SQL's lower() is exactly `matching.normalise_region`.
    """
    outside_ascii = (
        region.op("~")("[^ -~]") if dialect == "postgresql" else region.op("GLOB")("*[^ -~]*")
    )
    return or_(outside_ascii, region.like(" %"), region.like("% "), region.like("%  %"))


def _age_in_horizons(last_offered_at, dialect: str):
    horizon = matching.FAIRNESS_HORIZON
    if dialect == "postgresql":
        seconds = cast(func.extract("epoch", NOW - last_offered_at), Float())
        return seconds / _float(horizon.total_seconds())
    # SQLite keeps milliseconds: far below the slack once divided by 30 days.
    days = bindparam("now_julian_day", type_=Float()) - func.julianday(last_offered_at)
    return days / _float(horizon / timedelta(days=1))


def score_bound(row, kind: str, dialect: str) -> ColumnElement:
    """`matching.score` written in SQL, plus a slack: never below the exact score.

    Same formulas, same priors and weights; it differs by rounding, by counting an irregular
    region as a match, and by taking every provider's use of its cap as nil.
    """
    weights = matching.WEIGHTS
    if kind == CERTIFICATION_BODY:
        sector = _float(1.0)
    else:
        sector = case((row.names_sector, _float(1.0)), else_=_float(0.4))
    region = bindparam("region", type_=String())
    locality = case(
        (
            row.home_country == bindparam("country"),
            case(
                (
                    and_(
                        region != "",
                        or_(func.lower(row.region) == region, _irregular(row.region, dialect)),
                    ),
                    _float(1.0),
                ),
                else_=_float(0.6),
            ),
        ),
        else_=_float(0.2),
    )
    rate = (row.offers_answered + _float(matching.PRIOR_RESPONSE_RATE * matching.PRIOR_OFFERS)) / (
        row.offers_received + _float(matching.PRIOR_OFFERS)
    )
    prior_hours = _float(matching.PRIOR_RESPONSE_HOURS)
    hours = case(
        (or_(row.median_response_hours.is_(None), row.offers_answered == 0), prior_hours),
        else_=_at_least(row.median_response_hours, 0.0, dialect),
    )
    speed = _float(1.0) / (_float(1.0) + hours / prior_hours)
    responsiveness = _float(0.7) * _at_most(rate, 1.0, dialect) + _float(0.3) * speed
    stars = (row.rating_sum + _float(matching.PRIOR_STARS * matching.PRIOR_RATINGS)) / (
        row.rating_count + _float(matching.PRIOR_RATINGS)
    )
    reputation = _clamp((stars - _float(1.0)) / _float(4.0), 0.0, 1.0, dialect)
    recency = case(
        (row.last_offered_at.is_(None), _float(1.0)),
        else_=_clamp(_age_in_horizons(row.last_offered_at, dialect), 0.0, 1.0, dialect),
    )
    # The share of its cap a provider used this month is left out (taken as 0): counting
    # every candidate's offers is what made the narrowing slow. Python scores it exactly.
    fairness = _float(0.5) * recency + _float(0.5)
    rate_ = cast(row.day_rate, Float())
    price = case(
        (or_(row.day_rate.is_(None), row.day_rate <= 0), _float(0.4)),
        (bindparam("priced", type_=Integer()) == 0, _float(0.5)),
        (
            and_(
                row.currency.is_not(None),
                row.currency != "",
                row.currency != bindparam("currency", type_=String()),
            ),
            _float(0.5),
        ),
        else_=_at_most(
            bindparam("budget", type_=Float()) / (rate_ * bindparam(f"days_{kind}", type_=Float())),
            1.0,
            dialect,
        ),
    )
    return (
        weights["sector"] * sector
        + weights["locality"] * locality
        + weights["responsiveness"] * responsiveness
        + weights["reputation"] * reputation
        + weights["fairness"] * fairness
        + weights["price"] * price
        + _float(SCORE_SLACK)
    )

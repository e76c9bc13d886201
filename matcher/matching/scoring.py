"""The 0-100 score with its breakdown, and the deterministic order of candidates."""

from datetime import datetime, timedelta

from matcher.matching.facts import CERTIFICATION_BODY, Candidate, ProviderFacts, RequestFacts

# Points per score component; they add up to 100.
WEIGHTS = {
    "sector": 15,
    "locality": 20,
    "responsiveness": 20,
    "reputation": 15,
    "fairness": 20,
    "price": 10,
}

# Priors that give a provider without a track record a fair middle score, not zero.
PRIOR_OFFERS, PRIOR_RESPONSE_RATE = 5, 0.7
PRIOR_RESPONSE_HOURS = 24.0
PRIOR_RATINGS, PRIOR_STARS = 5, 3.5
FAIRNESS_HORIZON = timedelta(days=30)


def score(request: RequestFacts, provider: ProviderFacts, now: datetime) -> Candidate:
    """Score an eligible provider 0-100 with the points of each component."""
    values = {
        "sector": _sector_fit(request, provider),
        "locality": _locality(request, provider),
        "responsiveness": _responsiveness(provider),
        "reputation": _reputation(provider),
        "fairness": _fairness(provider, now),
        "price": _price_fit(request, provider),
    }
    points = {name: WEIGHTS[name] * value for name, value in values.items()}
    return Candidate(provider=provider, score=sum(points.values()), breakdown=points)


def _sector_fit(request: RequestFacts, provider: ProviderFacts) -> float:
    # An accredited CB and a consultant naming the sector are specialists; a consultant
    # serving "every sector" has shown no particular experience in this one.
    if provider.kind == CERTIFICATION_BODY or request.sector in provider.sectors:
        return 1.0
    return 0.4


def normalise_region(region: str | None) -> str:
    """A region as the locality score compares it: single spaces, case-folded."""
    return " ".join((region or "").split()).casefold()


def _locality(request: RequestFacts, provider: ProviderFacts) -> float:
    if provider.country != request.country:
        return 0.2
    wanted = normalise_region(request.region)
    if wanted and wanted == normalise_region(provider.region):
        return 1.0
    return 0.6


def _responsiveness(provider: ProviderFacts) -> float:
    rate = (provider.offers_answered + PRIOR_RESPONSE_RATE * PRIOR_OFFERS) / (
        provider.offers_received + PRIOR_OFFERS
    )
    hours = provider.median_response_hours
    if hours is None or provider.offers_answered == 0:
        hours = PRIOR_RESPONSE_HOURS
    # A same-day answer counts almost fully, a one-day answer half, slower ones less.
    speed = 1.0 / (1.0 + max(hours, 0.0) / PRIOR_RESPONSE_HOURS)
    return 0.7 * min(rate, 1.0) + 0.3 * speed


def _reputation(provider: ProviderFacts) -> float:
    stars = (provider.rating_sum + PRIOR_STARS * PRIOR_RATINGS) / (
        provider.rating_count + PRIOR_RATINGS
    )
    return min(max((stars - 1.0) / 4.0, 0.0), 1.0)


def _fairness(provider: ProviderFacts, now: datetime) -> float:
    # Least recently served first, and below its fair share of its own cap first.
    if provider.last_offered_at is None:
        recency = 1.0
    else:
        recency = min(max((now - provider.last_offered_at) / FAIRNESS_HORIZON, 0.0), 1.0)
    use = min(provider.offers_last_30_days / max(provider.monthly_cap, 1), 1.0)
    return 0.5 * recency + 0.5 * (1.0 - use)


def _price_fit(request: RequestFacts, provider: ProviderFacts) -> float:
    if provider.day_rate is None or provider.day_rate <= 0:
        return 0.4  # no price list: the business cannot see a price up front
    if not request.budget or (provider.currency and provider.currency != request.currency):
        return 0.5  # nothing comparable: neutral, neither rewarded nor punished
    days = request.reference_days * max(len(request.standards), 1)
    if provider.kind == CERTIFICATION_BODY:
        days *= 5 / 3  # initial audit plus two surveillance audits at a third each
    estimate = float(provider.day_rate) * days
    return min(float(request.budget) / estimate, 1.0)


def rank_key(candidate: Candidate) -> tuple:
    """Sort key: best score first; ties go to the least recently served, then the oldest id."""
    last = candidate.provider.last_offered_at
    return (-candidate.score, last is not None, last or datetime.min, candidate.provider.id)

"""Pure matching: hard filters, a 0-100 score with its breakdown, and the selection of offers.

Plain data in, plain data out: no Flask, no database session and no clock (`now` is an
argument), so the rules can be read, tested and benchmarked on their own. A loader may hand
in facts trimmed to what one request asks about (e.g. only the requested standards a provider
covers); the rules below only ever ask about the request's own standards, sector and country.
"""

from collections.abc import Iterable
from datetime import datetime

from matcher.matching.facts import (
    CAPACITY_WINDOW,
    CERTIFICATION_BODY,
    CONSULTANT,
    KINDS_FOR_SERVICE,
    MAX_OPEN_OFFERS,
    MAX_PROVIDERS_PER_REQUEST,
    VERIFIED,
    Candidate,
    OfferHistory,
    ProviderFacts,
    Ranking,
    RequestFacts,
    Selection,
)
from matcher.matching.filters import FILTERS, failed_filter
from matcher.matching.scoring import (
    FAIRNESS_HORIZON,
    PRIOR_OFFERS,
    PRIOR_RATINGS,
    PRIOR_RESPONSE_HOURS,
    PRIOR_RESPONSE_RATE,
    PRIOR_STARS,
    WEIGHTS,
    normalise_region,
    rank_key,
    score,
)
from matcher.matching.selection import select, select_settled

__all__ = [
    "CAPACITY_WINDOW",
    "CERTIFICATION_BODY",
    "CONSULTANT",
    "FAIRNESS_HORIZON",
    "FILTERS",
    "KINDS_FOR_SERVICE",
    "MAX_OPEN_OFFERS",
    "MAX_PROVIDERS_PER_REQUEST",
    "PRIOR_OFFERS",
    "PRIOR_RATINGS",
    "PRIOR_RESPONSE_HOURS",
    "PRIOR_RESPONSE_RATE",
    "PRIOR_STARS",
    "VERIFIED",
    "WEIGHTS",
    "Candidate",
    "OfferHistory",
    "ProviderFacts",
    "Ranking",
    "RequestFacts",
    "Selection",
    "failed_filter",
    "match",
    "normalise_region",
    "rank",
    "score",
    "select",
    "select_settled",
]


def rank(
    request: RequestFacts,
    providers: Iterable[ProviderFacts],
    history: OfferHistory,
    now: datetime,
) -> Ranking:
    """Drop the providers that fail a hard filter; score and order the rest, best first."""
    removed = dict.fromkeys(FILTERS, 0)
    candidates = []
    for provider in providers:
        reason = failed_filter(request, provider, history, now)
        if reason is None:
            candidates.append(score(request, provider, now))
        else:
            removed[reason] += 1
    candidates.sort(key=rank_key)
    return Ranking(candidates=candidates, removed=removed)


def match(
    request: RequestFacts,
    providers: Iterable[ProviderFacts],
    history: OfferHistory,
    now: datetime,
) -> tuple[Ranking, Selection]:
    """Rank the providers and select whom to offer now."""
    ranking = rank(request, providers, history, now)
    return ranking, select(request, ranking.candidates, history)

"""Pure matching: hard filters, a 0-100 score with its breakdown, and the selection of offers.

Plain data in, plain data out: no Flask, no database session and no clock (`now` is an
argument), so the rules can be read, tested and benchmarked on their own. A loader may hand
in facts trimmed to what one request asks about (e.g. only the requested standards a provider
covers); the rules below only ever ask about the request's own standards, sector and country.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

CONSULTANT = "consultant"
CERTIFICATION_BODY = "certification_body"
VERIFIED = "verified"
KINDS_FOR_SERVICE = {
    "consultancy": (CONSULTANT,),
    "certification": (CERTIFICATION_BODY,),
    "both": (CONSULTANT, CERTIFICATION_BODY),
}

MAX_OPEN_OFFERS = 3
MAX_PROVIDERS_PER_REQUEST = 6
CAPACITY_WINDOW = timedelta(days=30)

# Hard filters in the order they are checked; a provider is counted under the first it fails.
FILTERS = (
    "not_verified",
    "kind",
    "standards",
    "sector",
    "accreditation_body",
    "accreditation_expired",
    "country",
    "employees",
    "capacity",
    "already_offered",
    "impartiality",
)

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


@dataclass(frozen=True)
class RequestFacts:
    """What the matcher needs to know about one quote request."""

    id: int
    service: str
    standards: tuple[str, ...]
    sector: int
    country: str
    region: str | None
    employees: int
    budget: Decimal | None = None
    currency: str | None = None
    current_consultant_id: int | None = None
    # Typical initial audit days for the headcount (IAF MD 5), used only for the price fit.
    reference_days: float = 4.0


@dataclass(frozen=True)
class ProviderFacts:
    """What the matcher needs to know about one provider."""

    id: int
    kind: str
    status: str = VERIFIED
    country: str | None = None
    region: str | None = None
    countries: frozenset[str] = frozenset()
    standards: frozenset[str] = frozenset()  # consultants: standards offered
    sectors: frozenset[int] = frozenset()  # consultants: specialism; empty means every sector
    scope: frozenset[tuple[str, int]] = frozenset()  # CBs: accredited (standard, IAF sector)
    accreditation_recognised: bool = False  # CBs: body recognised and not suspended
    accreditation_expires_on: date | None = None
    min_employees: int = 1
    max_employees: int = 100_000
    monthly_cap: int = 20
    offers_last_30_days: int = 0
    offers_received: int = 0
    offers_answered: int = 0
    median_response_hours: float | None = None
    rating_count: int = 0
    rating_sum: int = 0
    last_offered_at: datetime | None = None
    day_rate: Decimal | None = None
    currency: str | None = None
    # Declared either way round: the loader adds both sides of every affiliation.
    affiliated_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class OfferHistory:
    """The request's offers so far: every provider ever offered, and those still open."""

    offered: dict[int, str] = field(default_factory=dict)  # provider id -> kind
    open: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """An eligible provider with its score (0-100) and the points of each component."""

    provider: ProviderFacts
    score: float
    breakdown: dict[str, float]


@dataclass(frozen=True)
class Ranking:
    """Eligible candidates best first, and how many providers each hard filter removed."""

    candidates: list[Candidate]
    removed: dict[str, int]


@dataclass(frozen=True)
class Selection:
    """The candidates to offer now, and why higher-ranked ones were passed over."""

    chosen: list[Candidate]
    skipped: dict[int, str]


def failed_filter(
    request: RequestFacts, provider: ProviderFacts, history: OfferHistory, now: datetime
) -> str | None:
    """Return the first hard filter the provider fails for this request, or None."""
    is_cb = provider.kind == CERTIFICATION_BODY
    if provider.status != VERIFIED:
        return "not_verified"
    if provider.kind not in KINDS_FOR_SERVICE.get(request.service, ()):
        return "kind"
    offered = {s for s, _ in provider.scope} if is_cb else provider.standards
    if not all(s in offered for s in request.standards):
        return "standards"
    if is_cb:
        if not all((s, request.sector) in provider.scope for s in request.standards):
            return "sector"
        if not provider.accreditation_recognised:
            return "accreditation_body"
        expires = provider.accreditation_expires_on
        if expires is None or expires < now.date():
            return "accreditation_expired"
    elif provider.sectors and request.sector not in provider.sectors:
        return "sector"
    if request.country not in provider.countries:
        return "country"
    if not provider.min_employees <= request.employees <= provider.max_employees:
        return "employees"
    if provider.offers_last_30_days >= provider.monthly_cap:
        return "capacity"
    if provider.id in history.offered:
        return "already_offered"
    if _conflicts(request, provider, history.offered):
        return "impartiality"
    return None


def _conflicts(request: RequestFacts, provider: ProviderFacts, others: dict[int, str]) -> bool:
    # ISO/IEC 17021-1 cl. 5.2: an affiliated consultant and CB never share a request, and a
    # CB never audits a business its own affiliate is advising.
    consultant = request.current_consultant_id
    if provider.kind == CERTIFICATION_BODY and consultant in provider.affiliated_ids:
        return True
    return any(
        other_id in provider.affiliated_ids and other_kind != provider.kind
        for other_id, other_kind in others.items()
    )


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


def _rank_key(candidate: Candidate) -> tuple:
    # Deterministic ties: the least recently served, then the oldest provider id.
    last = candidate.provider.last_offered_at
    return (-candidate.score, last is not None, last or datetime.min, candidate.provider.id)


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
    candidates.sort(key=_rank_key)
    return Ranking(candidates=candidates, removed=removed)


def select(request: RequestFacts, ranked: Sequence[Candidate], history: OfferHistory) -> Selection:
    """Pick whom to offer now: fill the open slots best first, within every limit.

    At most three open offers and six providers over the request's life; for `both`, at
    least one consultant and one CB among the open offers when both kinds are available;
    never two affiliated providers of different kinds.
    """
    return _select(request, ranked, history, complete=True)[0]


def select_settled(
    request: RequestFacts, best: Sequence[Candidate], history: OfferHistory
) -> Selection | None:
    """Select from the best part of a ranking, or None if candidates after it could matter.

    `best` must be the ranking's true first candidates, in order. The answer is `select`'s on
    the whole ranking whenever it is not None: it never looked past the end of `best`.
    """
    selection, settled = _select(request, best, history, complete=False)
    return selection if settled else None


def _select(
    request: RequestFacts, ranked: Sequence[Candidate], history: OfferHistory, complete: bool
) -> tuple[Selection, bool]:
    """`select`, and whether its answer holds for any candidates ranked after `ranked`."""
    slots = min(
        MAX_OPEN_OFFERS - len(history.open),
        MAX_PROVIDERS_PER_REQUEST - len(history.offered),
    )
    chosen: list[Candidate] = []
    skipped: dict[int, str] = {}
    taken = dict(history.offered)
    settled = True

    def fits(candidate: Candidate) -> bool:
        if candidate.provider.id in taken:
            return False
        if _conflicts(request, candidate.provider, taken):
            skipped[candidate.provider.id] = "affiliated with a provider chosen for this request"
            return False
        return True

    if request.service == "both" and slots > 0:
        picks, settled = _mix(request, ranked, history, taken, slots, complete)
        for candidate in picks:
            chosen.append(candidate)
            taken[candidate.provider.id] = candidate.provider.kind
    for candidate in ranked:
        if len(chosen) >= slots:
            break
        if fits(candidate):
            chosen.append(candidate)
            taken[candidate.provider.id] = candidate.provider.kind
    # Slots left over after the last candidate seen: a later one might have filled them.
    settled = settled and (complete or len(chosen) >= slots)
    chosen.sort(key=_rank_key)
    return Selection(chosen=chosen, skipped=skipped), settled


def _mix(
    request: RequestFacts,
    ranked: Sequence[Candidate],
    history: OfferHistory,
    taken: dict[int, str],
    slots: int,
    complete: bool = True,
) -> tuple[list[Candidate], bool]:
    """The candidates that give the open offers both a consultant and a CB, where possible.

    Also whether the answer holds for any candidates after `ranked` (always, if complete).
    """
    missing = [k for k in (CONSULTANT, CERTIFICATION_BODY) if k not in history.open.values()]
    pool = {
        kind: [
            (i, c)
            for i, c in enumerate(ranked)
            if c.provider.kind == kind
            and c.provider.id not in taken
            and not _conflicts(request, c.provider, taken)
        ]
        for kind in missing
    }
    # Each kind's pool is a prefix of its pool over the whole ranking; the pick of a kind is
    # settled once its pool is not empty, and a pair once it starts at its kind's first.
    settled = complete or all(pool[kind] for kind in missing)
    if len(missing) == 2 and slots >= 2:
        # The best-ranked unaffiliated pair: an affiliation never costs the mix.
        pairs = [
            _first_pair(pool[first], pool[second]) for first, second in (missing, reversed(missing))
        ]
        settled = complete or all(
            pair is not None and pair[0] is pool[first][0]
            for pair, first in zip(pairs, missing, strict=True)
        )
        found = [pair for pair in pairs if pair is not None]
        if found:
            best = min(found, key=lambda pair: (pair[0][0] + pair[1][0], pair[0][0]))
            return [c for _, c in best], settled
    picks = [pool[kind][0] for kind in missing if pool[kind]]
    return [c for _, c in sorted(picks, key=lambda pick: pick[0])][:slots], settled


def _first_pair(firsts: list, seconds: list):
    for first in firsts:
        for second in seconds:
            if first[1].provider.id not in second[1].provider.affiliated_ids:
                return first, second
    return None


def match(
    request: RequestFacts,
    providers: Iterable[ProviderFacts],
    history: OfferHistory,
    now: datetime,
) -> tuple[Ranking, Selection]:
    """Rank the providers and select whom to offer now."""
    ranking = rank(request, providers, history, now)
    return ranking, select(request, ranking.candidates, history)

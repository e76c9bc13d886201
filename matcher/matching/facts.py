"""The plain data the matcher works on: a request, providers, the offers so far, results."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

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
    # Registered consultants the business used in the last two years besides the current one.
    previous_consultant_ids: tuple[int, ...] = ()
    # Typical initial audit days for the headcount (IAF MD 5), used only for the price fit.
    reference_days: float = 4.0

    @cached_property
    def consultant_ids(self) -> frozenset[int]:
        """The business's registered consultants: the current one and those of two years."""
        current = () if self.current_consultant_id is None else (self.current_consultant_id,)
        return frozenset((*current, *self.previous_consultant_ids))


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
    # CBs: the standards whose IAF MLA scheme the accreditation body is confirmed for, while
    # it is not suspended.
    recognised_standards: frozenset[str] = frozenset()
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

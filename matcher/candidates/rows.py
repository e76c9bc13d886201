"""A fetched candidate's row: what SQL hands over beside the provider, and its matcher facts.

Only the best few providers per kind get this far, so each row may carry per-provider
subqueries (30-day offer count, affiliates) that would be too dear over the whole narrowing.
"""

from sqlalchemy import ColumnElement, String, cast, func, literal, select, union_all

from matcher.candidates.narrowing import SINCE
from matcher.matching import CERTIFICATION_BODY, CONSULTANT, ProviderFacts, RequestFacts
from matcher.models import Affiliation, LeadOffer, Provider
from matcher.models.match_keys import SCORE_INPUTS

P = Provider.__table__
OFFER = LeadOffer.__table__
AFFILIATION = Affiliation.__table__


def recent_offers(provider_id) -> ColumnElement:
    """How many leads the provider was offered in the capacity window (since `since`)."""
    return (
        select(func.count())
        .select_from(OFFER)
        .where(OFFER.c.provider_id == provider_id, OFFER.c.offered_at >= SINCE)
        .scalar_subquery()
    )


def _affiliates(provider_id, dialect: str) -> ColumnElement:
    """The ids the provider is affiliated with in force, either side declaring, comma-separated."""
    # A declaration nobody confirmed yet keeps no one apart (see Affiliation).
    in_force = AFFILIATION.c.confirmed_at.is_not(None)
    declared = select(AFFILIATION.c.affiliated_provider_id.label("other")).where(
        AFFILIATION.c.provider_id == provider_id, in_force
    )
    named = select(AFFILIATION.c.provider_id).where(
        AFFILIATION.c.affiliated_provider_id == provider_id, in_force
    )
    # Correlated from inside a FROM subquery: say so, or the provider table joins the FROM.
    either = union_all(
        declared.correlate_except(AFFILIATION), named.correlate_except(AFFILIATION)
    ).subquery("either")
    if dialect == "postgresql":
        joined = func.string_agg(cast(either.c.other, String()), literal(","))
    else:
        joined = func.group_concat(either.c.other, literal(","))
    return select(joined).scalar_subquery()


# What the matcher's facts read of a provider row.
_FACT_COLUMNS = (
    "id",
    "kind",
    "status",
    "country",
    "region",
    "min_employees",
    "max_employees",
    "monthly_cap",
    *SCORE_INPUTS,
    "accreditation_expires_on",
)


def with_provider(rows, dialect: str, *extra):
    """The provider rows of the narrowed ids, with their offer counts and affiliates."""
    return select(
        *(P.c[name] for name in _FACT_COLUMNS),
        rows.c.names_sector,
        *extra,
        recent_offers(P.c.id).label("recent_offers"),
        _affiliates(P.c.id, dialect).label("affiliates"),
    ).select_from(rows.join(P, P.c.id == rows.c.id))


def facts_of(request: RequestFacts, rows) -> list[ProviderFacts]:
    """Matcher facts from narrowing rows, trimmed to the request's standards, sector, country."""
    standards = frozenset(request.standards)
    scope = frozenset((s, request.sector) for s in request.standards)
    countries = frozenset((request.country,))
    named = frozenset((request.sector,))
    return [
        ProviderFacts(
            id=row.id,
            kind=row.kind,
            status=row.status,
            country=row.country,
            region=row.region,
            countries=countries,
            standards=standards if row.kind == CONSULTANT else frozenset(),
            sectors=named if row.kind == CONSULTANT and row.names_sector else frozenset(),
            scope=scope if row.kind == CERTIFICATION_BODY else frozenset(),
            # The key holds only the standards the body is recognised for (see match_keys).
            recognised_standards=standards if row.kind == CERTIFICATION_BODY else frozenset(),
            accreditation_expires_on=row.accreditation_expires_on,
            min_employees=row.min_employees,
            max_employees=row.max_employees,
            monthly_cap=row.monthly_cap,
            offers_last_30_days=row.recent_offers,
            offers_received=row.offers_received,
            offers_answered=row.offers_answered,
            median_response_hours=row.median_response_hours,
            rating_count=row.rating_count,
            rating_sum=row.rating_sum,
            last_offered_at=row.last_offered_at,
            day_rate=row.day_rate,
            currency=row.currency,
            affiliated_ids=_ids(row.affiliates),
        )
        for row in rows
    ]


def _ids(joined: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in joined.split(",")) if joined else frozenset()

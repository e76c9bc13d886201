"""Narrow the providers for one request in SQL, then load just what the matcher scores.

The narrowing uses the indexes on provider(status, kind, min, max), provider_country,
provider_standard, provider_sector and accreditation_scope, so a request against 100,000
providers reads a few hundred rows, not the whole market. The facts handed to the matcher are
trimmed to the request (its standards, sector and country); `matching` re-checks every rule.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlmodel import Session

from matcher import matching, reference
from matcher.matching import CERTIFICATION_BODY, CONSULTANT, ProviderFacts, RequestFacts
from matcher.models import (
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    LeadOffer,
    Provider,
    ProviderCountry,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
    QuoteRequest,
)

P = Provider.__table__
COUNTRY = ProviderCountry.__table__
STANDARD = ProviderStandard.__table__
SECTOR = ProviderSector.__table__
SCOPE = AccreditationScope.__table__
BODY = AccreditationBody.__table__
OFFER = LeadOffer.__table__
AFFILIATION = Affiliation.__table__

# Chunk size for IN lists: far below SQLite's and PostgreSQL's bound-parameter limits.
ID_CHUNK = 5000


@cache
def _md5_days() -> tuple[tuple[int, float], ...]:
    rows = reference.read_csv("iaf_md5_qms.csv")
    return tuple(
        (int(row["effective_personnel_max"]), float(row["initial_audit_days_stage1_plus_stage2"]))
        for row in rows
        if row["effective_personnel_max"]
    )


def reference_days(employees: int) -> float:
    """Typical initial audit days for a headcount (IAF MD 5 QMS table), for the price fit."""
    bands = _md5_days()
    for upper, days in bands:
        if employees <= upper:
            return days
    return bands[-1][1]


def request_facts(quote_request: QuoteRequest) -> RequestFacts:
    """The matcher's view of a stored request."""
    return RequestFacts(
        id=quote_request.id,
        service=quote_request.service,
        standards=tuple(quote_request.standard_codes),
        sector=quote_request.sector,
        country=quote_request.country,
        region=quote_request.region,
        employees=quote_request.employees,
        budget=quote_request.budget,
        currency=quote_request.currency,
        current_consultant_id=quote_request.current_consultant_id,
        reference_days=reference_days(quote_request.employees),
    )


def _has(table, **columns) -> ColumnElement:
    return exists().where(
        table.c.provider_id == P.c.id, *(table.c[name] == value for name, value in columns.items())
    )


def _rules(request: RequestFacts, today: date) -> dict[str, ColumnElement]:
    """The hard filters SQL can check, as conditions, in `matching.FILTERS` order."""
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    is_cb = P.c.kind == CERTIFICATION_BODY
    scope_has = [_has(SCOPE, standard=s) for s in request.standards]
    scope_covers = [_has(SCOPE, standard=s, sector=request.sector) for s in request.standards]
    offers = [_has(STANDARD, standard=s) for s in request.standards]
    sector_ok = or_(
        _has(SECTOR, sector=request.sector),
        ~exists().where(SECTOR.c.provider_id == P.c.id),
    )
    # Written NULL-safe: a CB without a body or an expiry date fails, it is never "unknown".
    body_ok = and_(
        P.c.accreditation_body_id.is_not(None),
        P.c.accreditation_body_id.in_(
            select(BODY.c.id).where(BODY.c.recognised == true(), BODY.c.suspended == false())
        ),
    )
    expires = P.c.accreditation_expires_on
    return {
        "not_verified": P.c.status == ProviderStatus.VERIFIED,
        "kind": P.c.kind.in_(kinds) if kinds else false(),
        "standards": or_(and_(is_cb, *scope_has), and_(~is_cb, *offers)),
        "sector": or_(and_(is_cb, *scope_covers), and_(~is_cb, sector_ok)),
        "accreditation_body": or_(~is_cb, body_ok),
        "accreditation_expired": or_(~is_cb, and_(expires.is_not(None), expires >= today)),
        "country": _has(COUNTRY, country=request.country),
        "employees": and_(
            P.c.min_employees <= request.employees, P.c.max_employees >= request.employees
        ),
    }


def _narrowing(request: RequestFacts, today: date, since: datetime):
    """One SELECT per kind the service asks for (UNION ALL), each driven by its own index."""
    recent_offers = (
        select(func.count())
        .select_from(OFFER)
        .where(OFFER.c.provider_id == P.c.id, OFFER.c.offered_at >= since)
        .scalar_subquery()
    )
    columns = [
        P.c.id,
        P.c.kind,
        P.c.status,
        P.c.country,
        P.c.region,
        P.c.min_employees,
        P.c.max_employees,
        P.c.monthly_cap,
        P.c.offers_received,
        P.c.offers_answered,
        P.c.median_response_hours,
        P.c.rating_count,
        P.c.rating_sum,
        P.c.last_offered_at,
        P.c.day_rate,
        P.c.currency,
        P.c.accreditation_expires_on,
        _has(SECTOR, sector=request.sector).label("names_sector"),
        recent_offers.label("recent_offers"),
    ]
    rules = _rules(request, today)
    common = [
        P.c.status == ProviderStatus.VERIFIED,
        rules["employees"],
        P.c.id.in_(select(COUNTRY.c.provider_id).where(COUNTRY.c.country == request.country)),
    ]
    by_kind = {
        CONSULTANT: [
            P.c.kind == CONSULTANT,
            *(
                P.c.id.in_(select(STANDARD.c.provider_id).where(STANDARD.c.standard == s))
                for s in request.standards
            ),
            rules["sector"],
        ],
        CERTIFICATION_BODY: [
            P.c.kind == CERTIFICATION_BODY,
            *(
                P.c.id.in_(
                    select(SCOPE.c.provider_id).where(
                        SCOPE.c.standard == s, SCOPE.c.sector == request.sector
                    )
                )
                for s in request.standards
            ),
            rules["accreditation_body"],
            rules["accreditation_expired"],
        ],
    }
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    selects = [select(*columns).where(*common, *by_kind[kind]) for kind in kinds]
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else union_all(*selects)


def find_candidates(session: Session, request: RequestFacts, now: datetime) -> list[ProviderFacts]:
    """Load the providers that pass every filter SQL can check, as matcher facts."""
    query = _narrowing(request, now.date(), now - matching.CAPACITY_WINDOW)
    if query is None or not request.standards:
        return []
    rows = session.connection().execute(query).all()
    affiliations = _affiliations(session, [row.id for row in rows])
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
            accreditation_recognised=row.kind == CERTIFICATION_BODY,
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
            affiliated_ids=affiliations.get(row.id, frozenset()),
        )
        for row in rows
    ]


def _affiliations(session: Session, ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Both sides of every affiliation touching the given providers."""
    found: dict[int, set[int]] = defaultdict(set)
    ids = list(ids)
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows = session.connection().execute(
            select(AFFILIATION.c.provider_id, AFFILIATION.c.affiliated_provider_id).where(
                or_(
                    AFFILIATION.c.provider_id.in_(chunk),
                    AFFILIATION.c.affiliated_provider_id.in_(chunk),
                )
            )
        )
        for left, right in rows:
            found[left].add(right)
            found[right].add(left)
    return {provider_id: frozenset(others) for provider_id, others in found.items()}


def count_removed(session: Session, request: RequestFacts, now: datetime) -> dict[str, int]:
    """How many providers each SQL-checkable filter removes (first failing filter counts).

    For the admin's explanation only: one pass over the whole table, so the matching path
    itself never runs it.
    """
    rules = _rules(request, now.date())
    reason = case(
        *((~condition, literal(name)) for name, condition in rules.items()),
        else_=literal("eligible"),
    ).label("reason")
    # Group over a subquery: PostgreSQL will not match a CASE with bound parameters in GROUP BY.
    reasons = select(reason).select_from(P).subquery()
    rows = session.connection().execute(
        select(reasons.c.reason, func.count()).group_by(reasons.c.reason)
    )
    counts = dict.fromkeys(rules, 0)
    counts["eligible"] = 0
    for name, count in rows:
        counts[name] = count
    return counts


def load_every_provider(
    session: Session, now: datetime, *, verified_only: bool = True
) -> list[ProviderFacts]:
    """The naive loader: every provider and all of its scope through the ORM, no narrowing.

    The reference the SQL narrowing is tested against, and the benchmark's baseline.
    """
    query = select(Provider)
    if verified_only:
        query = query.where(Provider.status == ProviderStatus.VERIFIED)
    providers = session.scalars(query).all()
    countries, standards, sectors = defaultdict(set), defaultdict(set), defaultdict(set)
    scope = defaultdict(set)
    for row in session.scalars(select(ProviderCountry)):
        countries[row.provider_id].add(row.country)
    for row in session.scalars(select(ProviderStandard)):
        standards[row.provider_id].add(row.standard)
    for row in session.scalars(select(ProviderSector)):
        sectors[row.provider_id].add(row.sector)
    for row in session.scalars(select(AccreditationScope)):
        scope[row.provider_id].add((row.standard, row.sector))
    bodies = session.scalars(select(AccreditationBody)).all()
    usable = {body.id: body.recognised and not body.suspended for body in bodies}
    affiliated = defaultdict(set)
    for row in session.scalars(select(Affiliation)):
        affiliated[row.provider_id].add(row.affiliated_provider_id)
        affiliated[row.affiliated_provider_id].add(row.provider_id)
    recent = dict(
        session.execute(
            select(LeadOffer.provider_id, func.count())
            .where(LeadOffer.offered_at >= now - matching.CAPACITY_WINDOW)
            .group_by(LeadOffer.provider_id)
        ).all()
    )
    return [
        ProviderFacts(
            id=p.id,
            kind=p.kind,
            status=p.status,
            country=p.country,
            region=p.region,
            countries=frozenset(countries[p.id]),
            standards=frozenset(standards[p.id]),
            sectors=frozenset(sectors[p.id]),
            scope=frozenset(scope[p.id]),
            accreditation_recognised=usable.get(p.accreditation_body_id, False),
            accreditation_expires_on=p.accreditation_expires_on,
            min_employees=p.min_employees,
            max_employees=p.max_employees,
            monthly_cap=p.monthly_cap,
            offers_last_30_days=recent.get(p.id, 0),
            offers_received=p.offers_received,
            offers_answered=p.offers_answered,
            median_response_hours=p.median_response_hours,
            rating_count=p.rating_count,
            rating_sum=p.rating_sum,
            last_offered_at=p.last_offered_at,
            day_rate=p.day_rate,
            currency=p.currency,
            affiliated_ids=frozenset(affiliated[p.id]),
        )
        for p in providers
    ]

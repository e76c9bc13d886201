"""Narrow the providers for one request in SQL, then load just what the matcher scores.

The narrowing uses the indexes on provider(status, kind, min, max), provider_country,
provider_standard, provider_sector and accreditation_scope, so a request against 100,000
providers reads a few hundred rows, not the whole market. The facts handed to the matcher are
trimmed to the request (its standards, sector and country); `matching` re-checks every rule.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    bindparam,
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
from matcher.models.base import UTCDateTime

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


def _standard_params(count: int) -> list:
    return [bindparam(f"standard_{i}", type_=String()) for i in range(count)]


# Typed: the UTC column type turns an aware "since" into what SQLite stores.
SINCE = bindparam("since", type_=UTCDateTime())
TODAY = bindparam("today", type_=Date())


@cache
def _rules(kinds: tuple[str, ...], standard_count: int) -> dict[str, ColumnElement]:
    """The hard filters SQL can check, in `matching.FILTERS` order, with bound parameters.

    Built once per request shape (kinds asked for, number of standards), then reused.
    """
    standards = _standard_params(standard_count)
    sector = bindparam("sector")
    is_cb = P.c.kind == CERTIFICATION_BODY
    sector_ok = or_(_has(SECTOR, sector=sector), ~exists().where(SECTOR.c.provider_id == P.c.id))
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
        "standards": or_(
            and_(is_cb, *(_has(SCOPE, standard=s) for s in standards)),
            and_(~is_cb, *(_has(STANDARD, standard=s) for s in standards)),
        ),
        "sector": or_(
            and_(is_cb, *(_has(SCOPE, standard=s, sector=sector) for s in standards)),
            and_(~is_cb, sector_ok),
        ),
        "accreditation_body": or_(~is_cb, body_ok),
        "accreditation_expired": or_(~is_cb, and_(expires.is_not(None), expires >= TODAY)),
        "country": _has(COUNTRY, country=bindparam("country")),
        "employees": and_(
            P.c.min_employees <= bindparam("employees"),
            P.c.max_employees >= bindparam("employees"),
        ),
    }


# Most widely offered first: the narrowing starts from the rarest standard asked for.
COMMON_STANDARDS = ("iso9001", "iso14001", "iso45001", "iso27001")


def _rarest_first(standards: tuple[str, ...]) -> list[str]:
    order = {code: i for i, code in enumerate(reference.STANDARDS)}
    return sorted(standards, key=lambda code: -order.get(code, len(order)))


def _parameters(request: RequestFacts, now: datetime) -> dict:
    return {
        "country": request.country,
        "sector": request.sector,
        "employees": request.employees,
        "today": now.date(),
        "since": now - matching.CAPACITY_WINDOW,
        **{f"standard_{i}": s for i, s in enumerate(_rarest_first(request.standards))},
    }


@cache
def _narrowing(kinds: tuple[str, ...], standard_count: int, by_standard: bool):
    """One SELECT per kind asked for (UNION ALL), each driven by its own index; built once.

    CBs are found through their accreditation scope (rarest standard x sector). Consultants
    through the country they serve, or through the rarest standard when it is a niche one.
    """
    standards = _standard_params(standard_count)
    sector = bindparam("sector")
    recent_offers = (
        select(func.count())
        .select_from(OFFER)
        .where(OFFER.c.provider_id == P.c.id, OFFER.c.offered_at >= SINCE)
        .scalar_subquery()
    )
    affiliated = or_(
        exists().where(AFFILIATION.c.provider_id == P.c.id),
        exists().where(AFFILIATION.c.affiliated_provider_id == P.c.id),
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
        _has(SECTOR, sector=sector).label("names_sector"),
        recent_offers.label("recent_offers"),
        affiliated.label("affiliated"),
    ]
    rules = _rules(kinds, standard_count)
    # `status || ''` and `kind || ''` keep a planner without statistics (a fresh SQLite file)
    # from starting at ix_provider_match or ix_provider_kind, which read every verified
    # provider of the kind: the join's own index (country, standard or scope) is far narrower.
    common = [P.c.status.concat("") == ProviderStatus.VERIFIED, rules["employees"]]
    if by_standard:
        first = STANDARD.alias("first_standard")
        driver = first.join(P, P.c.id == first.c.provider_id)
        start = [first.c.standard == standards[0], rules["country"]]
        rest = standards[1:]
    else:
        served = COUNTRY.alias("served")
        driver = served.join(P, P.c.id == served.c.provider_id)
        start = [served.c.country == bindparam("country")]
        rest = standards
    consultants = (
        select(*columns)
        .select_from(driver)
        .where(
            *start,
            P.c.kind.concat("") == CONSULTANT,
            *common,
            *(_has(STANDARD, standard=s) for s in rest),
            rules["sector"],
        )
    )
    first = SCOPE.alias("first_scope")
    bodies = (
        select(*columns)
        .select_from(first.join(P, P.c.id == first.c.provider_id))
        .where(
            first.c.standard == standards[0],
            first.c.sector == sector,
            P.c.kind.concat("") == CERTIFICATION_BODY,
            *common,
            *(_has(SCOPE, standard=s, sector=sector) for s in standards[1:]),
            rules["country"],
            rules["accreditation_body"],
            rules["accreditation_expired"],
        )
    )
    selects = [{CONSULTANT: consultants, CERTIFICATION_BODY: bodies}[kind] for kind in kinds]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def _connection(session: Session):
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Short OLTP queries: compiling them with JIT costs PostgreSQL far more than it saves.
        connection.exec_driver_sql("SET LOCAL jit = off")
    return connection


def find_candidates(session: Session, request: RequestFacts, now: datetime) -> list[ProviderFacts]:
    """Load the providers that pass every filter SQL can check, as matcher facts."""
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    if not kinds or not request.standards:
        return []
    niche = any(code not in COMMON_STANDARDS for code in request.standards)
    query = _narrowing(kinds, len(request.standards), niche)
    rows = _connection(session).execute(query, _parameters(request, now)).all()
    affiliations = _affiliations(session, [row.id for row in rows if row.affiliated])
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
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    rules = _rules(kinds, len(request.standards))
    reason = case(
        *((~condition, literal(name)) for name, condition in rules.items()),
        else_=literal("eligible"),
    ).label("reason")
    # Group over a subquery: PostgreSQL will not match a CASE with bound parameters in GROUP BY.
    reasons = select(reason).select_from(P).subquery()
    rows = _connection(session).execute(
        select(reasons.c.reason, func.count()).group_by(reasons.c.reason),
        _parameters(request, now),
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

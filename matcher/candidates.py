"""Narrow the providers for one request in SQL, then load just what the matcher scores.

The narrowing starts from one range of the match key (provider_match_key: country, standard,
kind, sector), so it reads only the providers of a kind that serve the request's country and
cover its rarest standard in its sector. `match_candidates` goes further: SQL ranks those by
an upper bound of the score and hands over only the best few of each kind, with counts of
the rest. The facts handed to the matcher are trimmed to the request (its standards, sector
and country); `matching` re-checks every rule and computes every score that is shown.
"""

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlmodel import Session

from matcher import matching, reference
from matcher.matching import (
    CERTIFICATION_BODY,
    CONSULTANT,
    OfferHistory,
    ProviderFacts,
    Ranking,
    RequestFacts,
    Selection,
)
from matcher.models import (
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    LeadOffer,
    Provider,
    ProviderCountry,
    ProviderMatchKey,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
    QuoteRequest,
)
from matcher.models.base import UTCDateTime
from matcher.models.match_keys import EVERY_SECTOR

P = Provider.__table__
COUNTRY = ProviderCountry.__table__
STANDARD = ProviderStandard.__table__
SECTOR = ProviderSector.__table__
SCOPE = AccreditationScope.__table__
BODY = AccreditationBody.__table__
OFFER = LeadOffer.__table__
AFFILIATION = Affiliation.__table__
KEY = ProviderMatchKey.__table__

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
def _narrowing(kinds: tuple[str, ...], standard_count: int, dialect: str):
    """One SELECT per kind asked for (UNION ALL), each driven by the match key; built once."""
    selects = _kind_selects(standard_count, dialect)
    chosen = [selects[kind] for kind in kinds]
    narrowed = (chosen[0] if len(chosen) == 1 else union_all(*chosen)).subquery("narrowed")
    return select(
        narrowed,
        _recent_offers(narrowed.c.id).label("recent_offers"),
        _affiliated(narrowed.c.id).label("affiliated"),
    )


def _recent_offers(provider_id) -> ColumnElement:
    """How many leads the provider was offered in the capacity window (since `since`)."""
    return (
        select(func.count())
        .select_from(OFFER)
        .where(OFFER.c.provider_id == provider_id, OFFER.c.offered_at >= SINCE)
        .scalar_subquery()
    )


def _affiliated(provider_id) -> ColumnElement:
    """Whether the provider has declared, or been named in, any affiliation."""
    return or_(
        exists().where(AFFILIATION.c.provider_id == provider_id),
        exists().where(AFFILIATION.c.affiliated_provider_id == provider_id),
    )


@cache
def _kind_selects(standard_count: int, dialect: str) -> dict:
    """The narrowing SELECT of each kind; built once per number of standards.

    Each starts from one range of the match key (country, rarest standard asked for, kind,
    sector), which holds exactly the providers of the kind that serve the country and cover
    that standard in the sector; the other filters are checked on those rows only.
    """
    standards = _standard_params(standard_count)
    sector = bindparam("sector")
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
    ]
    rules = _rules((CONSULTANT, CERTIFICATION_BODY), standard_count)
    status, kind_of = P.c.status, P.c.kind
    if dialect == "sqlite":
        # `status || ''` and `kind || ''` keep a planner without statistics (SQLite: the app
        # never runs ANALYZE) from starting at ix_provider_match or ix_provider_kind, which
        # read every verified provider of the kind, instead of at the match key's one range.
        status, kind_of = status.concat(""), kind_of.concat("")
    common = [status == ProviderStatus.VERIFIED, rules["employees"]]

    def keyed(kind: str, sectors: list):
        key = KEY.alias(f"key_{kind}")
        if kind == CONSULTANT:
            # The key's sector is the one named, or 0 for "every sector"; only a request for
            # sector 0 itself needs to look further.
            named = or_(
                key.c.sector != EVERY_SECTOR, and_(sector == 0, _has(SECTOR, sector=sector))
            )
        else:
            named = false()
        return (
            select(*columns, named.label("names_sector"))
            .select_from(key.join(P, P.c.id == key.c.provider_id))
            .where(
                key.c.country == bindparam("country"),
                key.c.standard == standards[0],
                key.c.kind == kind,
                key.c.sector.in_(sectors),
                kind_of == kind,
                *common,
            )
        )

    # A consultant naming no sector serves every sector (key sector 0).
    consultants = keyed(CONSULTANT, [literal(EVERY_SECTOR), sector]).where(
        *(_has(STANDARD, standard=s) for s in standards[1:])
    )
    bodies = keyed(CERTIFICATION_BODY, [sector]).where(
        *(_has(SCOPE, standard=s, sector=sector) for s in standards[1:]),
        rules["accreditation_body"],
        rules["accreditation_expired"],
    )
    return {CONSULTANT: consultants, CERTIFICATION_BODY: bodies}


# On PostgreSQL, while the narrowing runs: its estimates of how many providers pass the
# filters are rough, and a hash join then reads every provider of a kind to find the
# thousand the match key names. Nested loops look up just those, each cheap once cached.
KEY_FIRST = {"enable_hashjoin": "off", "enable_mergejoin": "off", "random_page_cost": "1.1"}


@contextmanager
def _key_first(connection):
    """Within the block, PostgreSQL plans start from the match key; settings restored after."""
    if connection.dialect.name != "postgresql":
        yield
        return
    # Read each setting, then set it for this transaction (left to right, in one round trip).
    swap = text(
        "SELECT "
        + ", ".join(
            f"current_setting('{name}'), set_config('{name}', :{name}, true)" for name in KEY_FIRST
        )
    )
    row = connection.execute(swap, KEY_FIRST).one()
    previous = dict(zip(KEY_FIRST, row[::2], strict=True))
    try:
        yield
    finally:
        connection.execute(swap, previous)


def _connection(session: Session):
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Short OLTP queries: compiling them with JIT costs PostgreSQL far more than it saves.
        # And a plan per call: psycopg prepares a statement run five times, and a generic
        # plan cannot tell Germany (20% of providers) from Chile.
        connection.exec_driver_sql(
            "SELECT set_config('jit', 'off', true),"
            " set_config('plan_cache_mode', 'force_custom_plan', true)"
        )
    return connection


def find_candidates(session: Session, request: RequestFacts, now: datetime) -> list[ProviderFacts]:
    """Load the providers that pass every filter SQL can check, as matcher facts."""
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    if not kinds or not request.standards:
        return []
    connection = _connection(session)
    query = _narrowing(kinds, len(request.standards), connection.dialect.name)
    rows = connection.execute(query, _parameters(request, now)).all()
    return _facts(session, request, rows)


def _facts(session: Session, request: RequestFacts, rows) -> list[ProviderFacts]:
    """Matcher facts from narrowing rows, trimmed to the request's standards, sector, country."""
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


# The best candidates fetched per kind at first: enough for the admin's explained top 30
# (EXPLAINED_CANDIDATES in matcher/offers.py) and the selection's skips in nearly every case.
FIRST_FETCH = 60
RANKED_AT_LEAST = 30
WIDEN = 4
# Added to the SQL score so that it bounds the Python score despite floating-point rounding.
SCORE_SLACK = 1e-6
PYTHON_FILTERS = ("capacity", "already_offered", "impartiality")


def match_candidates(
    session: Session, request: RequestFacts, history: OfferHistory, now: datetime
) -> tuple[Ranking, Selection]:
    """Rank and select exactly like `matching.match` over every eligible provider, loading few.

    SQL checks the hard filters and orders what passes by an upper bound of the score,
    fetching only the best few of each kind. Python scores those exactly; the ranking's head
    is kept as far as no unfetched provider could reach it, and if that head is too short
    for the admin's list or the selection might look past it, more are fetched. The
    ranking's `removed` is left empty: `count_removed` and `count_eligible` count over all.
    """
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    if not kinds or not request.standards:
        ranking, selection = matching.match(request, [], history, now)
        return Ranking(candidates=ranking.candidates, removed={}), selection
    connection = _connection(session)
    query = _ranked(kinds, len(request.standards), connection.dialect.name)
    parameters = {
        **_parameters(request, now),
        **_score_parameters(request, now),
        **_exclusions(session, request, history),
    }
    limits = dict.fromkeys(kinds, FIRST_FETCH)
    while True:
        with _key_first(connection):
            rows = connection.execute(query, {**parameters, **_limit_parameters(limits)}).all()
        outcome = _settle(session, request, history, now, rows, limits)
        if isinstance(outcome, tuple):
            return outcome
        limits = {kind: n * (WIDEN if kind in outcome else 1) for kind, n in limits.items()}


def _limit_parameters(limits: dict[str, int]) -> dict[str, int]:
    return {f"limit_{kind}": limits.get(kind, 0) for kind in (CONSULTANT, CERTIFICATION_BODY)}


def _settle(session, request, history, now, rows, limits: dict[str, int]):
    """The ranking head and selection the fetched rows settle, or the kinds to fetch more of."""
    bounds = {}
    for kind, limit in limits.items():
        bounds_of_kind = [row.score_bound for row in rows if row.kind == kind]
        if len(bounds_of_kind) >= limit:
            # Every provider of this kind left unfetched scores at most this.
            bounds[kind] = min(bounds_of_kind)
    # Python applies the filters SQL left to it (capacity) and computes the scores shown.
    ranking = matching.rank(request, _facts(session, request, rows), history, now)
    bound = max(bounds.values(), default=None)
    best = [c for c in ranking.candidates if bound is None or c.score > bound]
    if bound is None:
        selection = matching.select(request, best, history)
    elif len(best) < RANKED_AT_LEAST:
        selection = None
    else:
        selection = matching.select_settled(request, best, history)
    if selection is None:
        return set(bounds)
    return Ranking(candidates=best, removed={}), selection


def count_eligible(
    session: Session, request: RequestFacts, history: OfferHistory, now: datetime
) -> dict[str, int]:
    """How many providers passing the SQL filters capacity, history and impartiality remove,
    and how many are eligible (first failing filter counts), for the admin's explanation.

    One pass over the narrowed providers with their 30-day offer counts: the job runs it
    beside `count_removed`, off the matching path.
    """
    counts = dict.fromkeys((*PYTHON_FILTERS, "eligible"), 0)
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    if not kinds or not request.standards:
        return counts
    connection = _connection(session)
    query = _fates(kinds, len(request.standards), connection.dialect.name)
    parameters = {**_parameters(request, now), **_exclusions(session, request, history)}
    with _key_first(connection):
        for name, count in connection.execute(query, parameters).all():
            counts[name] = count
    return counts


@cache
def _fates(kinds: tuple[str, ...], standard_count: int, dialect: str):
    """reason -> count over the narrowed providers of the kinds asked for; built once."""
    selects = _kind_selects(standard_count, dialect)
    branches = []
    for kind in kinds:
        narrowed = selects[kind].subquery(f"narrowed_{kind}")
        row = narrowed.c
        reason = case(
            (_recent_offers(row.id) >= row.monthly_cap, literal("capacity")),
            (row.id.in_(bindparam("offered", expanding=True)), literal("already_offered")),
            (row.id.in_(bindparam(f"conflicts_{kind}", expanding=True)), literal("impartiality")),
            else_=literal("eligible"),
        )
        branches.append(select(reason.label("reason")))
    # Group over a subquery: PostgreSQL will not match a CASE with bound parameters in GROUP BY.
    fates = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("fates")
    return select(fates.c.reason, func.count()).group_by(fates.c.reason)


def _exclusions(session: Session, request: RequestFacts, history: OfferHistory) -> dict:
    """Providers offered before, and those each kind's impartiality rule keeps out."""
    others = dict(history.offered)
    consultant = request.current_consultant_id
    touching = set(others) | ({consultant} if consultant is not None else set())
    affiliates = _affiliations(session, touching) if touching else {}
    conflicts = {CONSULTANT: set(), CERTIFICATION_BODY: set()}
    for kind, ids in conflicts.items():
        for other_id, other_kind in others.items():
            if other_kind != kind:
                ids.update(affiliates.get(other_id, ()))
    if consultant is not None:
        conflicts[CERTIFICATION_BODY].update(affiliates.get(consultant, ()))
    # Never an empty IN list: SQL renders that as a subquery, run for every row. No provider
    # has id 0.
    return {
        "offered": sorted(others) or [0],
        **{f"conflicts_{kind}": sorted(ids) or [0] for kind, ids in conflicts.items()},
    }


def _score_parameters(request: RequestFacts, now: datetime) -> dict:
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


NOW = bindparam("now", type_=UTCDateTime())
UNIX_EPOCH_JULIAN_DAY = 2440587.5


def _score_bound(row, kind: str, dialect: str) -> ColumnElement:
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
            row.country == bindparam("country"),
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


@cache
def _ranked(kinds: tuple[str, ...], standard_count: int, dialect: str):
    """Per kind, the narrowed providers never offered this request and not kept out by
    impartiality, by score bound, best first: only the first `limit_<kind>`; built once.
    """
    selects = _kind_selects(standard_count, dialect)
    branches = []
    for kind in kinds:
        narrowed = (
            selects[kind]
            .where(
                P.c.id.not_in(bindparam("offered", expanding=True)),
                P.c.id.not_in(bindparam(f"conflicts_{kind}", expanding=True)),
            )
            .subquery(f"narrowed_{kind}")
        )
        score_bound = _score_bound(narrowed.c, kind, dialect).label("score_bound")
        best = (
            select(narrowed, score_bound)
            .order_by(score_bound.desc(), narrowed.c.id)
            .limit(bindparam(f"limit_{kind}", type_=Integer()))
            .subquery(f"best_{kind}")
        )
        # Counted for the rows fetched only, after the LIMIT.
        branches.append(
            select(
                best,
                _recent_offers(best.c.id).label("recent_offers"),
                _affiliated(best.c.id).label("affiliated"),
            )
        )
    return branches[0] if len(branches) == 1 else union_all(*branches)

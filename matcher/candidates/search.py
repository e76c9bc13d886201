"""A request's candidates: the best few from SQL, scored and selected exactly in Python.

SQL (`matcher.candidates.narrowing`, over the match key) checks the hard filters it can and
orders what passes by an upper bound of the score (`matcher.candidates.score_bound`), handing
over only the best few of each kind with their 30-day offer counts. Python applies the rest
(capacity, history,
impartiality), scores exactly with `matcher.matching`, and keeps the head no unfetched
provider could reach; the facts handed over are trimmed to the request (its standards, sector
and country), and `matching` re-checks every rule.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlmodel import Session

from matcher import matching
from matcher.candidates.narrowing import kind_selects, parameters
from matcher.candidates.rows import facts_of, recent_offers, with_provider
from matcher.candidates.score_bound import score_bound, score_parameters
from matcher.db import in_chunks
from matcher.iso import reference
from matcher.matching import (
    CERTIFICATION_BODY,
    CONSULTANT,
    OfferHistory,
    Ranking,
    RequestFacts,
    Selection,
)
from matcher.models import Affiliation, QuoteRequest

AFFILIATION = Affiliation.__table__


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
        previous_consultant_ids=tuple(quote_request.previous_consultant_ids),
        reference_days=reference_days(quote_request.employees),
    )


def _affiliations(session: Session, ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Both sides of every affiliation in force touching the given providers."""
    found: dict[int, set[int]] = defaultdict(set)
    for chunk in in_chunks(ids):
        rows = session.connection().execute(
            select(AFFILIATION.c.provider_id, AFFILIATION.c.affiliated_provider_id).where(
                or_(
                    AFFILIATION.c.provider_id.in_(chunk),
                    AFFILIATION.c.affiliated_provider_id.in_(chunk),
                ),
                # A declaration nobody confirmed yet keeps no one apart (see Affiliation).
                AFFILIATION.c.confirmed_at.is_not(None),
            )
        )
        for left, right in rows:
            found[left].add(right)
            found[right].add(left)
    return {provider_id: frozenset(others) for provider_id, others in found.items()}


# The best candidates fetched per kind at first: enough for the admin's explained top 30
# (EXPLAINED_CANDIDATES in matcher/leads/offers.py) and the selection's skips in nearly every case.
FIRST_FETCH = 60
RANKED_AT_LEAST = 30
WIDEN = 4
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
    conn = session.connection()
    query = _ranked(kinds, len(request.standards), conn.dialect.name)
    bound_parameters = {
        **parameters(request, now),
        **score_parameters(request, now),
        **_exclusions(session, request, history),
    }
    limits = dict.fromkeys(kinds, FIRST_FETCH)
    while True:
        rows = conn.execute(query, {**bound_parameters, **_limit_parameters(limits)}).all()
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
    ranking = matching.rank(request, facts_of(request, rows), history, now)
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
    query = _fates(kinds, len(request.standards))
    bound_parameters = {**parameters(request, now), **_exclusions(session, request, history)}
    for name, count in session.connection().execute(query, bound_parameters).all():
        counts[name] = count
    return counts


@cache
def _fates(kinds: tuple[str, ...], standard_count: int):
    """reason -> count over the narrowed providers of the kinds asked for; built once."""
    selects = kind_selects(standard_count)
    branches = []
    for kind in kinds:
        narrowed = selects[kind].subquery(f"narrowed_{kind}")
        row = narrowed.c
        reason = case(
            (recent_offers(row.id) >= row.monthly_cap, literal("capacity")),
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
    touching = set(others) | request.consultant_ids
    affiliates = _affiliations(session, touching) if touching else {}
    conflicts = {CONSULTANT: set(), CERTIFICATION_BODY: set()}
    for kind, ids in conflicts.items():
        for other_id, other_kind in others.items():
            if other_kind != kind:
                ids.update(affiliates.get(other_id, ()))
    for consultant in request.consultant_ids:
        conflicts[CERTIFICATION_BODY].update(affiliates.get(consultant, ()))
    # Never an empty IN list: SQL renders that as a subquery, run for every row. No provider
    # has id 0.
    return {
        "offered": sorted(others) or [0],
        **{f"conflicts_{kind}": sorted(ids) or [0] for kind, ids in conflicts.items()},
    }


@cache
def _ranked(kinds: tuple[str, ...], standard_count: int, dialect: str):
    """Per kind, the narrowed providers never offered this request and not kept out by
    impartiality, by score bound, best first: only the first `limit_<kind>`; built once.
    """
    selects = kind_selects(standard_count, excluding=True)
    branches = []
    for kind in kinds:
        narrowed = selects[kind].subquery(f"narrowed_{kind}")
        bound = score_bound(narrowed.c, kind, dialect).label("score_bound")
        best = (
            select(narrowed.c.id, narrowed.c.names_sector, bound)
            .order_by(bound.desc(), narrowed.c.id)
            .limit(bindparam(f"limit_{kind}", type_=Integer()))
            .subquery(f"best_{kind}")
        )
        # The provider row, offer count and affiliations of the rows fetched only.
        branches.append(with_provider(best, dialect, best.c.score_bound))
    return branches[0] if len(branches) == 1 else union_all(*branches)

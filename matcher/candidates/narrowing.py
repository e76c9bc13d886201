"""The hard filters SQL can check, over the match key and over the provider table.

The matching path reads only the match key (`provider_match_key`): one index range holds the
providers of a kind that serve the request's country and cover its rarest standard in its
sector, and each key row carries the copies the other filters need, so nothing else is read
per provider. `count_removed`, for the admin's explanation, checks the same rules one by one
over the whole provider table instead.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
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
)
from sqlmodel import Session

from matcher import matching
from matcher.iso import reference
from matcher.iso.schemes import CONFIRMED, SCHEME_OF_STANDARD
from matcher.matching import CERTIFICATION_BODY, CONSULTANT, RequestFacts
from matcher.models import (
    AccreditationBody,
    AccreditationScope,
    BodySchemeRecognition,
    Provider,
    ProviderCountry,
    ProviderMatchKey,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
)
from matcher.models.base import UTCDateTime
from matcher.models.match_keys import EVERY_SECTOR, SCORE_INPUTS, standard_set

P = Provider.__table__
COUNTRY = ProviderCountry.__table__
STANDARD = ProviderStandard.__table__
SECTOR = ProviderSector.__table__
SCOPE = AccreditationScope.__table__
BODY = AccreditationBody.__table__
RECOGNITION = BodySchemeRecognition.__table__
KEY = ProviderMatchKey.__table__

# Typed: the UTC column type turns an aware "since" into what SQLite stores.
SINCE = bindparam("since", type_=UTCDateTime())
TODAY = bindparam("today", type_=Date())


def rarest_first(standards: tuple[str, ...]) -> list[str]:
    """The request's standards, the one fewest providers offer first (reference order)."""
    order = {code: i for i, code in enumerate(reference.STANDARDS)}
    return sorted(standards, key=lambda code: -order.get(code, len(order)))


def parameters(request: RequestFacts, now: datetime) -> dict:
    """The bound parameters of the narrowing for one request."""
    # A standard CertMatch does not know (never from the form) matches no one: -1 asks for
    # every bit, which no key's set has.
    wanted = standard_set(request.standards)
    return {
        "country": request.country,
        "sector": request.sector,
        "employees": request.employees,
        "today": now.date(),
        "since": now - matching.CAPACITY_WINDOW,
        "standard_set": -1 if wanted is None else wanted,
        **{f"standard_{i}": s for i, s in enumerate(rarest_first(request.standards))},
    }


def _has(table, owner, **columns) -> ColumnElement:
    return exists().where(
        table.c.provider_id == owner, *(table.c[name] == value for name, value in columns.items())
    )


def _usable_body(body_id) -> ColumnElement:
    # Written NULL-safe: a CB without a body is never "unknown", it fails.
    return and_(
        body_id.is_not(None),
        body_id.in_(
            select(BODY.c.id).where(BODY.c.recognised == true(), BODY.c.suspended == false())
        ),
    )


def _recognised_for(body_id, standard) -> ColumnElement:
    """The body is confirmed for the IAF MLA scheme of `standard`."""
    return exists().where(
        RECOGNITION.c.body_id == body_id,
        RECOGNITION.c.scheme == case(SCHEME_OF_STANDARD, value=standard),
        RECOGNITION.c.status == CONFIRMED,
    )


def _in_date(expires) -> ColumnElement:
    return and_(expires.is_not(None), expires >= TODAY)


def _standard_params(count: int) -> list:
    return [bindparam(f"standard_{i}", type_=String()) for i in range(count)]


@cache
def rules(kinds: tuple[str, ...], standard_count: int) -> dict[str, ColumnElement]:
    """The hard filters SQL can check on the provider table, in `matching.FILTERS` order.

    Built once per request shape (kinds asked for, number of standards), then reused.
    """
    standards = _standard_params(standard_count)
    sector = bindparam("sector")
    is_cb = P.c.kind == CERTIFICATION_BODY
    sector_ok = or_(
        _has(SECTOR, P.c.id, sector=sector), ~exists().where(SECTOR.c.provider_id == P.c.id)
    )
    return {
        "not_verified": P.c.status == ProviderStatus.VERIFIED,
        "kind": P.c.kind.in_(kinds) if kinds else false(),
        "standards": or_(
            and_(is_cb, *(_has(SCOPE, P.c.id, standard=s) for s in standards)),
            and_(~is_cb, *(_has(STANDARD, P.c.id, standard=s) for s in standards)),
        ),
        "sector": or_(
            and_(is_cb, *(_has(SCOPE, P.c.id, standard=s, sector=sector) for s in standards)),
            and_(~is_cb, sector_ok),
        ),
        "accreditation_body": or_(
            ~is_cb,
            and_(
                _usable_body(P.c.accreditation_body_id),
                *(_recognised_for(P.c.accreditation_body_id, s) for s in standards),
            ),
        ),
        "accreditation_expired": or_(~is_cb, _in_date(P.c.accreditation_expires_on)),
        "country": _has(COUNTRY, P.c.id, country=bindparam("country")),
        "employees": and_(
            P.c.min_employees <= bindparam("employees"),
            P.c.max_employees >= bindparam("employees"),
        ),
    }


@cache
def kind_selects(standard_count: int, *, excluding: bool = False) -> dict:
    """The narrowing SELECT of each kind over the match key alone; built once per shape.

    Each reads one range of the key (country, rarest standard asked for, kind, sector): the
    providers of the kind that serve the country and cover that standard in the sector. The
    other filters are checked on the copies in those rows: the standard set holds the rest of
    the standards (a CB's: only those its body is recognised for), and no provider row is
    read. `excluding` also leaves out the providers in the `offered` and `conflicts_<kind>`
    parameters.
    """
    first = _standard_params(standard_count)[0]
    sector = bindparam("sector")
    wanted = bindparam("standard_set", type_=Integer())

    def keyed(kind: str, sectors: list):
        key = KEY.alias(f"key_{kind}")
        if kind == CONSULTANT:
            # The key's sector is the one named, or 0 for "every sector"; only a request for
            # sector 0 itself needs to look further.
            names_sector = or_(
                key.c.sector != EVERY_SECTOR,
                and_(sector == 0, _has(SECTOR, key.c.provider_id, sector=sector)),
            )
            accredited = []
        else:
            names_sector = false()
            accredited = [
                _usable_body(key.c.accreditation_body_id),
                _in_date(key.c.accreditation_expires_on),
            ]
        excluded = (
            [
                key.c.provider_id.not_in(bindparam("offered", expanding=True)),
                key.c.provider_id.not_in(bindparam(f"conflicts_{kind}", expanding=True)),
            ]
            if excluding
            else []
        )
        return select(
            key.c.provider_id.label("id"),
            literal(kind, String()).label("kind"),
            *(key.c[name] for name in _RANKED_COPIES),
            names_sector.label("names_sector"),
        ).where(
            key.c.country == bindparam("country"),
            key.c.standard == first,
            key.c.kind == kind,
            key.c.sector.in_(sectors),
            key.c.status == ProviderStatus.VERIFIED,
            key.c.min_employees <= bindparam("employees"),
            key.c.max_employees >= bindparam("employees"),
            key.c.standard_set.op("&")(wanted) == wanted,
            *accredited,
            *excluded,
        )

    # A consultant naming no sector serves every sector (key sector 0).
    return {
        CONSULTANT: keyed(CONSULTANT, [literal(EVERY_SECTOR), sector]),
        CERTIFICATION_BODY: keyed(CERTIFICATION_BODY, [sector]),
    }


# What the score bound and the capacity count read of a key row.
_RANKED_COPIES = ("monthly_cap", "home_country", "region", *SCORE_INPUTS)


def count_removed(session: Session, request: RequestFacts, now: datetime) -> dict[str, int]:
    """How many providers each SQL-checkable filter removes (first failing filter counts).

    For the admin's explanation only: one pass over the whole table, so the matching path
    itself never runs it.
    """
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    checks = rules(kinds, len(request.standards))
    reason = case(
        *((~condition, literal(name)) for name, condition in checks.items()),
        else_=literal("eligible"),
    ).label("reason")
    # Group over a subquery: PostgreSQL will not match a CASE with bound parameters in GROUP BY.
    reasons = select(reason).select_from(P).subquery()
    rows = session.connection().execute(
        select(reasons.c.reason, func.count()).group_by(reasons.c.reason),
        parameters(request, now),
    )
    counts = dict.fromkeys(checks, 0)
    counts["eligible"] = 0
    for name, count in rows:
        counts[name] = count
    return counts

"""The tests' references: the naive loader and the SQL narrowing's whole result.

`load_every_provider` reads every provider with all of its scope through the ORM, with no
narrowing: the reference the SQL narrowing is tested against, and the matching benchmark's
baseline. `find_candidates` is that narrowing uncut, for the tests only.
"""

from collections import defaultdict
from datetime import datetime
from functools import cache

from sqlalchemy import func, select, union_all
from sqlmodel import Session

from matcher import matching
from matcher.candidates.narrowing import kind_selects, parameters
from matcher.candidates.rows import facts_of, with_provider
from matcher.iso.schemes import CONFIRMED, standards_of
from matcher.matching import ProviderFacts, RequestFacts
from matcher.models import (
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    BodySchemeRecognition,
    LeadOffer,
    Provider,
    ProviderCountry,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
)


def load_every_provider(
    session: Session, now: datetime, *, verified_only: bool = True
) -> list[ProviderFacts]:
    """Every (verified) provider and all of its scope as matcher facts, loaded in full."""
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
    suspended = set(
        session.scalars(select(AccreditationBody.id).where(AccreditationBody.suspended))
    )
    recognised = defaultdict(set)
    confirmed = select(BodySchemeRecognition).where(BodySchemeRecognition.status == CONFIRMED)
    for row in session.scalars(confirmed):
        if row.body_id not in suspended:
            recognised[row.body_id].update(standards_of(row.scheme))
    affiliated = defaultdict(set)
    for row in session.scalars(select(Affiliation).where(Affiliation.confirmed_at.is_not(None))):
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
            recognised_standards=frozenset(recognised[p.accreditation_body_id]),
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


def find_candidates(session: Session, request: RequestFacts, now: datetime) -> list[ProviderFacts]:
    """Every provider that passes the filters SQL checks, unranked and uncut: the tests' oracle.

    The product never loads this set (`search.match_candidates` fetches only a head ordered by
    the score bound). The tests keep it because it checks the SQL narrowing on its own: fed to
    `matching.match`, it must give the naive loader's ranking exactly, and its size is the
    funnel's "eligible" count. Checked through `match_candidates` alone, a provider the
    narrowing wrongly dropped would go unseen whenever it ranked below the fetched head.
    """
    kinds = matching.KINDS_FOR_SERVICE.get(request.service, ())
    if not kinds or not request.standards:
        return []
    conn = session.connection()
    query = _narrowed(kinds, len(request.standards), conn.dialect.name)
    rows = conn.execute(query, parameters(request, now)).all()
    return facts_of(request, rows)


@cache
def _narrowed(kinds: tuple[str, ...], standard_count: int, dialect: str):
    """Every provider of the kinds asked for that passes the SQL filters; built once."""
    selects = kind_selects(standard_count)
    chosen = [selects[kind] for kind in kinds]
    narrowed = (chosen[0] if len(chosen) == 1 else union_all(*chosen)).subquery("narrowed")
    return with_provider(narrowed, dialect)

"""The naive loader: every provider with all of its scope, through the ORM, no narrowing.

The reference the SQL narrowing is tested against, and the matching benchmark's baseline.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from matcher import matching
from matcher.matching import ProviderFacts
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
    bodies = session.scalars(select(AccreditationBody)).all()
    usable = {body.id: body.recognised and not body.suspended for body in bodies}
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

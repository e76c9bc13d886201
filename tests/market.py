"""Build provider markets directly with the models, for the matching tests."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from matcher.iso.schemes import CONFIRMED, SCHEMES, UNCONFIRMED
from matcher.matching import RequestFacts
from matcher.models import (
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    AffiliationConfirmation,
    BodySchemeRecognition,
    Provider,
    ProviderCountry,
    ProviderKind,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from tests.factories import make_request

_numbers = itertools.count(1)


def make_body(
    session, acronym: str | None = None, *, schemes=None, recognised: bool = True, **values
) -> AccreditationBody:
    """An accreditation body confirmed for every IAF MLA scheme (or only `schemes`; none when
    not `recognised`), not suspended unless told otherwise."""
    session.commit()  # a stale SQLite read snapshot cannot write
    acronym = acronym or f"AB{next(_numbers)}"
    confirmed = set(SCHEMES if schemes is None else schemes) if recognised else set()
    body = AccreditationBody(
        acronym=acronym, name=f"{acronym} accreditation", recognised=bool(confirmed), **values
    )
    session.add(body)
    session.flush()
    session.add_all(
        BodySchemeRecognition(
            body_id=body.id, scheme=scheme, status=CONFIRMED if scheme in confirmed else UNCONFIRMED
        )
        for scheme in SCHEMES
    )
    session.commit()
    session.refresh(body)
    return body


def _provider(session, kind: str, *, name, countries, standards, sectors, scope, **values):
    session.commit()  # a stale SQLite read snapshot cannot write
    number = next(_numbers)
    values = {
        "name": name or f"{kind.title()} {number}",
        "email": f"provider{number}@providers.example",
        "status": ProviderStatus.VERIFIED,
        "country": countries[0] if countries else "GB",
        "day_rate": Decimal("900.00"),
        "currency": "GBP",
        **values,
    }
    provider = Provider(kind=kind, **values)
    session.add(provider)
    session.flush()
    session.add_all(ProviderCountry(provider_id=provider.id, country=c) for c in countries)
    session.add_all(ProviderStandard(provider_id=provider.id, standard=s) for s in standards)
    session.add_all(ProviderSector(provider_id=provider.id, sector=s) for s in sectors)
    session.add_all(
        AccreditationScope(provider_id=provider.id, standard=s, sector=sector)
        for s, sector in scope
    )
    session.commit()
    session.refresh(provider)
    return provider


def make_consultant(
    session,
    *,
    name: str | None = None,
    countries=("GB",),
    standards=("iso9001",),
    sectors=(),
    **values,
) -> Provider:
    """A verified consultant serving GB for ISO 9001 in every sector, unless told otherwise."""
    return _provider(
        session,
        ProviderKind.CONSULTANT,
        name=name,
        countries=countries,
        standards=standards,
        sectors=sectors,
        scope=(),
        **values,
    )


def make_cb(
    session,
    *,
    name: str | None = None,
    countries=("GB",),
    scope=(("iso9001", 17),),
    body: AccreditationBody | None = None,
    expires_on: date | None = None,
    **values,
) -> Provider:
    """A verified CB accredited by a recognised body for ISO 9001 in IAF sector 17, in GB."""
    body = body or make_body(session)
    return _provider(
        session,
        ProviderKind.CERTIFICATION_BODY,
        name=name,
        countries=countries,
        standards=sorted({s for s, _ in scope}),
        sectors=(),
        scope=scope,
        accreditation_body_id=body.id,
        accreditation_number=f"ACC-{next(_numbers)}",
        accreditation_expires_on=expires_on or date.today() + timedelta(days=365),
        **values,
    )


def affiliate(session, provider: Provider, other: Provider, *, in_force: bool = True) -> None:
    """Record that `provider` declares an affiliation with `other`, approved by an admin
    unless `in_force` is False (then it waits for the other side, as a fresh declaration).
    """
    session.commit()
    approved = {"confirmed_at": utcnow(), "confirmed_via": AffiliationConfirmation.ADMIN}
    session.add(
        Affiliation(
            provider_id=provider.id,
            affiliated_provider_id=other.id,
            **(approved if in_force else {}),
        )
    )
    session.commit()


def confirmed_request(session, **overrides) -> QuoteRequest:
    """A confirmed request (GB, Yorkshire, sector 17, 45 employees, ISO 9001, certification)."""
    session.commit()
    return make_request(session, **{"status": RequestStatus.CONFIRMED, **overrides})


def fresh(session):
    """End the session's read snapshot, so the next query sees what jobs have committed."""
    session.rollback()
    return session


def facts_of_a_request(**overrides) -> RequestFacts:
    """The matcher's view of a request: GB, sector 17, 45 employees, ISO 9001 certification."""
    values = {
        "id": 1,
        "service": "certification",
        "standards": ("iso9001",),
        "sector": 17,
        "country": "GB",
        "region": None,
        "employees": 45,
    }
    return RequestFacts(**{**values, **overrides})

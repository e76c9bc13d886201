"""Plain factory helpers for providers, with their coverage rows and accreditation body."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from sqlmodel import select

from matcher.models import (
    AffiliationConfirmation,
    Provider,
    ProviderKind,
    ProviderStatus,
    Qualification,
)
from matcher.providers.accreditation import ensure_accreditation_bodies, find_body
from matcher.providers.affiliations import declare
from matcher.providers.profiles import create_provider

_numbers = count(1)


def make_provider(
    session,
    *,
    kind: str = ProviderKind.CERTIFICATION_BODY,
    status: str = ProviderStatus.VERIFIED,
    name: str | None = None,
    email: str | None = None,
    countries=("GB",),
    standards=("iso9001",),
    sectors=(),
    scope=None,
    accreditation_body: str | None = "UKAS",
    accreditation_number: str | None = None,
    accreditation_expires_on: date | None = None,
    affiliated_with=(),
    **fields,
):
    """Insert a provider with its countries, standards, sectors and scope, committed.

    A certification body defaults to UKAS accreditation for every (standard, sector) pair of
    `standards` x `sectors` (or x sector 17 when no sectors are given), valid for a year.
    """
    number = next(_numbers)
    # End any read the caller's session has open: on SQLite a stale snapshot cannot write.
    session.commit()
    ensure_accreditation_bodies(session)
    is_cb = kind == ProviderKind.CERTIFICATION_BODY
    body = find_body(session, accreditation_body) if is_cb and accreditation_body else None
    if is_cb and accreditation_body and body is None:
        raise ValueError(f"unknown accreditation body {accreditation_body!r}")
    if is_cb and scope is None:
        scope = [(s, sector) for s in standards for sector in (sectors or (17,))]
    values = {
        "day_rate": Decimal("950.00"),
        "currency": "GBP",
        **fields,
    }
    if is_cb:
        values.setdefault("accreditation_body_id", body.id if body else None)
        values.setdefault(
            "accreditation_number", accreditation_number or f"{accreditation_body}-{number:04d}"
        )
        values.setdefault(
            "accreditation_expires_on",
            accreditation_expires_on or date.today() + timedelta(days=365),
        )
    provider = create_provider(
        session,
        kind=kind,
        status=status,
        name=name or f"Provider {number} Ltd",
        email=email or f"provider{number}@providers.example",
        countries=countries,
        standards=standards,
        sectors=sectors,
        scope=scope or (),
        **values,
    )
    for other in affiliated_with:
        # In force, as an admin's approval would make it: the tests that pass it test matching.
        declare(
            session, provider, other, actor_id=None, confirmed_via=AffiliationConfirmation.ADMIN
        )
    session.commit()
    session.refresh(provider)
    return provider


def qualification_names(db, provider_id: int) -> list[str]:
    """The provider's checked (live) qualifications, read fresh, oldest first."""
    db.rollback()
    query = select(Qualification.name).where(Qualification.provider_id == provider_id)
    return list(db.exec(query.order_by(Qualification.id)))


def waiting_qualifications(db, provider_id: int) -> list[str]:
    """The qualifications the provider proposed that wait for an admin, read fresh."""
    db.rollback()
    pending = db.exec(select(Provider.pending_changes).where(Provider.id == provider_id)).one()
    return [row["name"] for row in (pending or {}).get("qualifications", [])]

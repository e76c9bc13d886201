"""Providers: creating them with their coverage and price list, and reading what they declared.

An admin's decisions live in matcher/vetting/decisions.py; the profile edits that wait for
review in matcher/providers/reviewed_changes.py.
"""

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, delete, func, select

from matcher.models import (
    AccreditationScope,
    ConsultantPackage,
    Provider,
    ProviderCountry,
    ProviderSector,
    ProviderStandard,
    Qualification,
    User,
)


def create_provider(
    session: Session,
    *,
    kind: str,
    name: str,
    email: str,
    countries: Iterable[str] = (),
    standards: Iterable[str] = (),
    sectors: Iterable[int] = (),
    scope: Iterable[tuple[str, int]] = (),
    qualifications: Iterable[dict[str, Any]] = (),
    packages: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Provider:
    """Insert a provider with its countries, standards, sectors, scope and packages; flush only."""
    provider = Provider(kind=kind, name=name, email=email.strip().lower(), **fields)
    session.add(provider)
    session.flush()
    replace_coverage(
        session, provider, countries=countries, standards=standards, sectors=sectors, scope=scope
    )
    for qualification in qualifications:
        session.add(Qualification(provider_id=provider.id, **qualification))
    for band in packages:
        session.add(ConsultantPackage(provider_id=provider.id, **band))
    session.flush()
    return provider


def replace_coverage(
    session: Session,
    provider: Provider,
    *,
    countries: Iterable[str] | None = None,
    standards: Iterable[str] | None = None,
    sectors: Iterable[int] | None = None,
    scope: Iterable[tuple[str, int]] | None = None,
) -> None:
    """Replace the association rows given (None leaves that list as it is); flush only."""
    pid = provider.id
    if countries is not None:
        session.exec(delete(ProviderCountry).where(col(ProviderCountry.provider_id) == pid))
        for code in sorted(set(countries)):
            session.add(ProviderCountry(provider_id=pid, country=code))
    if standards is not None:
        session.exec(delete(ProviderStandard).where(col(ProviderStandard.provider_id) == pid))
        for code in sorted(set(standards)):
            session.add(ProviderStandard(provider_id=pid, standard=code))
    if sectors is not None:
        session.exec(delete(ProviderSector).where(col(ProviderSector.provider_id) == pid))
        for sector in sorted(set(sectors)):
            session.add(ProviderSector(provider_id=pid, sector=int(sector)))
    if scope is not None:
        session.exec(delete(AccreditationScope).where(col(AccreditationScope.provider_id) == pid))
        for standard, sector in sorted(set(scope)):
            session.add(AccreditationScope(provider_id=pid, standard=standard, sector=int(sector)))
    session.flush()


def replace_packages(
    session: Session, provider: Provider, packages: Iterable[dict[str, Any]]
) -> None:
    """Replace a consultant's headcount bands (min/max employees, fee or days); flush only."""
    session.exec(delete(ConsultantPackage).where(col(ConsultantPackage.provider_id) == provider.id))
    # The unique (provider, min_employees) must not see the old rows: delete before insert.
    session.flush()
    for band in sorted(packages, key=lambda band: band["min_employees"]):
        session.add(ConsultantPackage(provider_id=provider.id, **band))
    session.flush()


def packages_of(session: Session, provider: Provider) -> list[ConsultantPackage]:
    """A consultant's headcount bands, smallest first."""
    return list(
        session.exec(
            select(ConsultantPackage)
            .where(ConsultantPackage.provider_id == provider.id)
            .order_by(col(ConsultantPackage.min_employees))
        )
    )


def coverage(session: Session, provider: Provider) -> dict[str, list]:
    """The provider's countries, standards, sectors and scope pairs, sorted."""
    pid = provider.id
    return {
        "countries": sorted(
            session.exec(select(ProviderCountry.country).where(ProviderCountry.provider_id == pid))
        ),
        "standards": sorted(
            session.exec(
                select(ProviderStandard.standard).where(ProviderStandard.provider_id == pid)
            )
        ),
        "sectors": sorted(
            session.exec(select(ProviderSector.sector).where(ProviderSector.provider_id == pid))
        ),
        "scope": sorted(
            (s.standard, s.sector)
            for s in session.exec(
                select(AccreditationScope).where(AccreditationScope.provider_id == pid)
            )
        ),
    }


def qualifications(session: Session, provider: Provider) -> list[Qualification]:
    """A consultant's qualifications in force (new ones may wait in `pending_changes`)."""
    return list(
        session.exec(
            select(Qualification)
            .where(Qualification.provider_id == provider.id)
            .order_by(Qualification.id)
        )
    )


def account_for(session: Session, provider: Provider) -> User | None:
    """The provider's first user account."""
    return session.exec(
        select(User).where(User.provider_id == provider.id).order_by(User.id)
    ).first()


def email_taken(session: Session, email: str) -> bool:
    """Whether a provider or a user already uses this e-mail address."""
    wanted = email.strip().lower()
    provider = session.exec(select(Provider.id).where(func.lower(Provider.email) == wanted)).first()
    user = session.exec(select(User.id).where(func.lower(User.email) == wanted)).first()
    return provider is not None or user is not None

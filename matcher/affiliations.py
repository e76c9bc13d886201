"""Providers declare their affiliations (ISO/IEC 17021-1 cl. 5.2); only admins remove them."""

from sqlmodel import Session, func, select

from matcher.models import Affiliation, AuditLog, Provider, ProviderStatus
from matcher.providers import declare_affiliation


class AffiliationError(ValueError):
    """An affiliation that cannot be declared, with the reason for the form."""


def declare_by_email(session: Session, provider: Provider, email: str) -> Provider:
    """Declare an affiliation with the provider registered under `email`; flush only.

    Declaring only ever narrows which leads a provider gets, so it counts at once.
    """
    other = session.exec(
        select(Provider)
        .where(func.lower(Provider.email) == email.strip().lower())
        .where(Provider.status != ProviderStatus.REJECTED)
    ).first()
    if other is None:
        raise AffiliationError("No provider on CertMatch uses this e-mail address.")
    if other.id == provider.id:
        raise AffiliationError("That is your own address.")
    declare_affiliation(session, provider, other)
    return other


def remove_affiliation(
    session: Session, provider: Provider, other_id: int, *, actor_id: int, reason: str
) -> bool:
    """Remove an affiliation, whichever side declared it, with an audit-log row; flush only."""
    rows = [
        row
        for row in (
            session.get(Affiliation, (provider.id, other_id)),
            session.get(Affiliation, (other_id, provider.id)),
        )
        if row is not None
    ]
    for row in rows:
        session.delete(row)
    if rows:
        session.add(
            AuditLog(
                actor_id=actor_id,
                action="remove_affiliation",
                object_type="provider",
                object_id=provider.id,
                reason=f"with provider {other_id}: {reason}",
            )
        )
    session.flush()
    return bool(rows)

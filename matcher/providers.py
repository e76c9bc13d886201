"""Providers: creating them with their scope, status decisions, and changes parked for review.

An admin approves or refuses what is parked in matcher/change_review.py.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, col, delete, func, select

from matcher.links import absolute_url
from matcher.models import (
    AccreditationScope,
    Affiliation,
    AuditLog,
    ConsultantPackage,
    Provider,
    ProviderCountry,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
    Qualification,
    User,
    utcnow,
)
from matcher.outbox import queue_mail
from matcher.suspension import free_held_leads

# action -> (statuses it may start from, status it leads to)
DECISIONS: dict[str, tuple[tuple[ProviderStatus, ...], ProviderStatus]] = {
    "verify": ((ProviderStatus.PENDING, ProviderStatus.REJECTED), ProviderStatus.VERIFIED),
    "reject": ((ProviderStatus.PENDING,), ProviderStatus.REJECTED),
    "suspend": ((ProviderStatus.VERIFIED,), ProviderStatus.SUSPENDED),
    "reinstate": ((ProviderStatus.SUSPENDED,), ProviderStatus.VERIFIED),
}
# Fields of a certification body that only change after an admin approved them.
REVIEWED_FIELDS = ("accreditation_body_id", "accreditation_number", "accreditation_expires_on")


class DecisionError(ValueError):
    """An admin decision that does not apply to the provider's current status."""


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


def declare_affiliation(session: Session, provider: Provider, other: Provider) -> None:
    """Record that `provider` is affiliated with `other` (once); flush only."""
    if provider.id == other.id:
        return
    exists = session.get(Affiliation, (provider.id, other.id))
    if exists is None:
        session.add(Affiliation(provider_id=provider.id, affiliated_provider_id=other.id))
        session.flush()


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


def affiliations(session: Session, provider: Provider) -> list[Provider]:
    """Providers affiliated with this one, whichever side declared it."""
    pid = provider.id
    ids = set(
        session.exec(
            select(Affiliation.affiliated_provider_id).where(Affiliation.provider_id == pid)
        )
    ) | set(
        session.exec(
            select(Affiliation.provider_id).where(Affiliation.affiliated_provider_id == pid)
        )
    )
    if not ids:
        return []
    return list(session.exec(select(Provider).where(col(Provider.id).in_(ids))))


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


# ---------------------------------------------------------------- admin decisions


def decide(
    session: Session, provider: Provider, *, action: str, reason: str, actor_id: int | None
) -> None:
    """Apply verify/reject/suspend/reinstate with its reason, audit row and mail; flush only."""
    if action not in DECISIONS:
        raise DecisionError(f"Unknown action {action!r}.")
    allowed_from, new_status = DECISIONS[action]
    if provider.status not in allowed_from:
        raise DecisionError(f"A {provider.status} provider cannot be given '{action}'.")
    reason = reason.strip()
    if not reason:
        raise DecisionError("A reason is required.")
    withdrawn = 0
    if action == "suspend":
        # Before the status changes: the leads' requests are locked before the provider row.
        withdrawn = free_held_leads(session, [provider.id], now=utcnow())[provider.id]
    set_status(session, provider, status=new_status, reason=reason, actor_id=actor_id)
    audit(session, action=action, provider=provider, reason=reason, actor_id=actor_id)
    queue_mail(
        session,
        template=f"provider_{action}",
        to=provider.email,
        subject=DECISION_SUBJECTS[action],
        context={
            "provider": provider,
            "reason": reason,
            "login_link": absolute_url("/login"),
            "profile_link": absolute_url("/provider/profile"),
            "withdrawn_leads": withdrawn,
        },
        provider_id=provider.id,
    )


DECISION_SUBJECTS = {
    "verify": "Your CertMatch profile is verified",
    "reject": "Your CertMatch application was not accepted",
    "suspend": "Your CertMatch profile is suspended",
    "reinstate": "Your CertMatch profile is active again",
}


def set_status(
    session: Session, provider: Provider, *, status: str, reason: str, actor_id: int | None
) -> None:
    """Record a status with who, when and why; flush only."""
    provider.status = status
    provider.status_reason = reason
    provider.status_changed_at = utcnow()
    provider.status_changed_by_id = actor_id
    provider.updated_at = utcnow()
    session.add(provider)
    session.flush()


def audit(
    session: Session, *, action: str, provider: Provider, reason: str | None, actor_id: int | None
) -> AuditLog:
    """Write one audit-log row about a provider; flush only."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        object_type="provider",
        object_id=provider.id,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return row


def audit_trail(session: Session, provider: Provider) -> list[AuditLog]:
    """Every audit row about a provider, newest first."""
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == "provider", AuditLog.object_id == provider.id)
            .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        )
    )


# ---------------------------------------------------------------- reviewed changes


def propose_changes(session: Session, provider: Provider, changes: dict[str, Any]) -> bool:
    """Park accreditation/scope changes for review; return whether anything differs."""
    current = coverage(session, provider)
    wanted: dict[str, Any] = {}
    for name in REVIEWED_FIELDS:
        if name in changes and changes[name] != getattr(provider, name):
            value = changes[name]
            wanted[name] = value.isoformat() if isinstance(value, date) else value
    if "scope" in changes and sorted(changes["scope"]) != current["scope"]:
        wanted["scope"] = [list(pair) for pair in sorted(changes["scope"])]
    if not wanted:
        return False
    provider.pending_changes = {**wanted, "submitted_at": utcnow().isoformat()}
    session.add(provider)
    session.flush()
    return True


def update_profile(
    session: Session,
    provider: Provider,
    *,
    fields: dict[str, Any],
    coverage_lists: dict[str, Any],
    reviewed: dict[str, Any],
    packages: Iterable[dict[str, Any]] | None = None,
) -> bool:
    """Save the profile and price list at once, except accreditation and scope (admin review).

    `packages` None leaves a consultant's bands as they are. Returns whether something was
    parked for review. Flush only.
    """
    for name, value in fields.items():
        setattr(provider, name, value)
    provider.updated_at = utcnow()
    session.add(provider)
    replace_coverage(session, provider, **coverage_lists)
    if packages is not None:
        replace_packages(session, provider, packages)
    return propose_changes(session, provider, reviewed) if reviewed else False

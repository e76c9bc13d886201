"""Affiliations between providers (ISO/IEC 17021-1 cl. 5.2), all flush only.

One side declares; the affiliation counts for matching once the other side confirms it or an
admin approves it, since a declaration alone would let a consultant keep every CB away from
the businesses it advises. The other side is told by mail and may say it is not true, which
leaves it to an admin. Only admins approve or remove, each with an audit-log row.
"""

from enum import StrEnum

from sqlmodel import Session, col, func, select

from matcher.links import absolute_url
from matcher.models import (
    Affiliation,
    AffiliationConfirmation,
    AuditLog,
    Provider,
    ProviderStatus,
    utcnow,
)
from matcher.outbox import queue_mail


class AffiliationError(ValueError):
    """An affiliation that cannot be declared or answered, with the reason for the page."""


class Declared(StrEnum):
    """What a declaration did."""

    WAITING = "waiting"  # new: waits for the other side (told by mail) or an admin
    IN_FORCE = "in_force"  # it put an affiliation in force
    ALREADY = "already"  # nothing changed


def declare_by_email(
    session: Session, provider: Provider, email: str, *, actor_id: int
) -> tuple[Provider, Declared]:
    """Declare an affiliation with the provider registered under `email`."""
    other = session.exec(
        select(Provider)
        .where(func.lower(Provider.email) == email.strip().lower())
        .where(Provider.status != ProviderStatus.REJECTED)
    ).first()
    if other is None:
        raise AffiliationError("No provider on CertMatch uses this e-mail address.")
    if other.id == provider.id:
        raise AffiliationError("That is your own address.")
    return other, declare(session, provider, other, actor_id=actor_id)


def declare(
    session: Session,
    provider: Provider,
    other: Provider,
    *,
    actor_id: int | None,
    confirmed_via: AffiliationConfirmation | None = None,
) -> Declared:
    """Record that `provider` declares an affiliation with `other`.

    The other side's own declaration is confirmed by this one. A new declaration waits for the
    other side or an admin, unless `confirmed_via` says it is approved already (an import).
    """
    if provider.id == other.id:
        return Declared.ALREADY
    _lock_pair(session, provider.id, other.id)
    theirs = session.get(Affiliation, (other.id, provider.id), populate_existing=True)
    mine = session.get(Affiliation, (provider.id, other.id), populate_existing=True)
    if theirs is not None:
        # Both sides saying so is the confirmation; one row per pair is enough.
        if theirs.in_force:
            return Declared.ALREADY
        _put_in_force(
            session, theirs, actor_id, confirmed_via or AffiliationConfirmation.OTHER_SIDE
        )
        return Declared.IN_FORCE
    if mine is not None:
        if mine.in_force or confirmed_via is None:
            return Declared.ALREADY
        _put_in_force(session, mine, actor_id, confirmed_via)
        return Declared.IN_FORCE
    row = Affiliation(
        provider_id=provider.id, affiliated_provider_id=other.id, declared_by_id=actor_id
    )
    if confirmed_via is not None:
        _put_in_force(session, row, actor_id, confirmed_via)
        return Declared.IN_FORCE
    session.add(row)
    session.flush()
    _tell_other_side(session, row, declarer=provider, other=other)
    return Declared.WAITING


def confirm(session: Session, provider: Provider, declarer_id: int, *, actor_id: int) -> Provider:
    """The named side confirms a declaration made about it: it counts from now on."""
    row, declarer = _waiting_for(session, provider, declarer_id)
    _put_in_force(session, row, actor_id, AffiliationConfirmation.OTHER_SIDE)
    return declarer


def dispute(session: Session, provider: Provider, declarer_id: int, *, actor_id: int) -> Provider:
    """The named side says a declaration is not true: it stays out of force for an admin."""
    row, declarer = _waiting_for(session, provider, declarer_id)
    row.disputed_at = utcnow()
    row.disputed_by_id = actor_id
    session.add(row)
    _audit(session, "dispute_affiliation", provider, declarer.id, actor_id, reason=None)
    return declarer


def approve_affiliation(
    session: Session, provider: Provider, other_id: int, *, actor_id: int
) -> bool:
    """An admin puts a declaration between the two in force; False when none waits."""
    _lock_pair(session, provider.id, other_id)
    waiting = [row for row in _rows(session, provider.id, other_id) if not row.in_force]
    if not waiting:
        return False
    for row in waiting:
        _put_in_force(session, row, actor_id, AffiliationConfirmation.ADMIN)
    _audit(session, "approve_affiliation", provider, other_id, actor_id, reason=None)
    return True


def remove_affiliation(
    session: Session, provider: Provider, other_id: int, *, actor_id: int, reason: str
) -> bool:
    """Remove an affiliation, whichever side declared it, with an audit-log row."""
    _lock_pair(session, provider.id, other_id)
    rows = _rows(session, provider.id, other_id)
    for row in rows:
        session.delete(row)
    if rows:
        _audit(session, "remove_affiliation", provider, other_id, actor_id, reason=reason)
    session.flush()
    return bool(rows)


def _rows(session: Session, provider_id: int, other_id: int) -> list[Affiliation]:
    found = (
        session.get(Affiliation, (provider_id, other_id), populate_existing=True),
        session.get(Affiliation, (other_id, provider_id), populate_existing=True),
    )
    return [row for row in found if row is not None]


def _waiting_for(
    session: Session, provider: Provider, declarer_id: int
) -> tuple[Affiliation, Provider]:
    """The declaration `declarer_id` made about `provider`, still waiting, under lock."""
    _lock_pair(session, provider.id, declarer_id)
    row = session.get(Affiliation, (declarer_id, provider.id), populate_existing=True)
    if row is None:
        raise AffiliationError("No such declaration waits for you: an admin may have removed it.")
    if row.in_force:
        raise AffiliationError("This affiliation is already in force.")
    return row, session.get(Provider, declarer_id)


def _put_in_force(
    session: Session, row: Affiliation, actor_id: int | None, via: AffiliationConfirmation
) -> None:
    row.confirmed_at = utcnow()
    row.confirmed_by_id = actor_id
    row.confirmed_via = via
    session.add(row)
    session.flush()


def _lock_pair(session: Session, first: int, second: int) -> None:
    """Lock both providers' rows, lowest id first.

    A double click, or an answer racing an admin's decision on the same pair, then waits for
    the other instead of failing on the primary key or deciding on a row deleted meanwhile.
    """
    session.exec(
        select(Provider.id)
        .where(col(Provider.id).in_(sorted({first, second})))
        .order_by(col(Provider.id))
        .with_for_update(key_share=True)
    ).all()


def _audit(
    session: Session,
    action: str,
    provider: Provider,
    other_id: int,
    actor_id: int | None,
    *,
    reason: str | None,
) -> None:
    about = f"with provider {other_id}"
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            object_type="provider",
            object_id=provider.id,
            reason=f"{about}: {reason}" if reason else about,
        )
    )
    session.flush()


def _tell_other_side(
    session: Session, row: Affiliation, *, declarer: Provider, other: Provider
) -> None:
    """Mail the named provider what was declared about it and where to answer."""
    queue_mail(
        session,
        template="affiliation_declared",
        to=other.email,
        subject=f"{declarer.name} declared an affiliation with you on CertMatch",
        context={
            "declarer": declarer,
            "other": other,
            "link": absolute_url("/provider/profile") + "#affiliations",
        },
        dedupe_key=f"affiliation:{declarer.id}:{other.id}:{row.created_at.isoformat()}",
        provider_id=other.id,
    )

"""Reading affiliations back: one provider's, and the admin's list of who declared what."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from matcher.models import Affiliation, AffiliationConfirmation, Provider, User

PAGE_SIZE = 50

CONFIRMED_VIA = {
    AffiliationConfirmation.OTHER_SIDE: "confirmed by the other side",
    AffiliationConfirmation.ADMIN: "approved by an admin",
    AffiliationConfirmation.IMPORT: "imported by an admin",
    AffiliationConfirmation.MIGRATION: "in force before confirmation was asked for",
}


@dataclass(frozen=True)
class AffiliationEntry:
    """One declaration with both providers and the accounts that declared, confirmed, disputed."""

    row: Affiliation
    declarer: Provider
    named: Provider
    declared_by: User | None
    confirmed_by: User | None
    disputed_by: User | None

    @property
    def in_force(self) -> bool:
        return self.row.in_force

    @property
    def disputed(self) -> bool:
        return not self.row.in_force and self.row.disputed_at is not None

    @property
    def declared_at(self) -> datetime:
        return self.row.created_at

    @property
    def confirmation(self) -> str:
        return CONFIRMED_VIA.get(self.row.confirmed_via, "")

    def other_than(self, provider_id: int) -> Provider:
        """The provider on the other side from `provider_id`."""
        return self.named if self.declarer.id == provider_id else self.declarer


_DECLARER = aliased(Provider, name="declarer")
_NAMED = aliased(Provider, name="named")
_DECLARED_BY = aliased(User, name="declared_by")
_CONFIRMED_BY = aliased(User, name="confirmed_by")
_DISPUTED_BY = aliased(User, name="disputed_by")


def _entries():
    return (
        select(Affiliation, _DECLARER, _NAMED, _DECLARED_BY, _CONFIRMED_BY, _DISPUTED_BY)
        .join(_DECLARER, _DECLARER.id == Affiliation.provider_id)
        .join(_NAMED, _NAMED.id == Affiliation.affiliated_provider_id)
        .outerjoin(_DECLARED_BY, _DECLARED_BY.id == Affiliation.declared_by_id)
        .outerjoin(_CONFIRMED_BY, _CONFIRMED_BY.id == Affiliation.confirmed_by_id)
        .outerjoin(_DISPUTED_BY, _DISPUTED_BY.id == Affiliation.disputed_by_id)
    )


def of_provider(session: Session, provider: Provider) -> list[AffiliationEntry]:
    """Every affiliation the provider declared or was named in: waiting first, then in force."""
    query = _entries().where(
        or_(
            Affiliation.provider_id == provider.id,
            Affiliation.affiliated_provider_id == provider.id,
        )
    )
    entries = [AffiliationEntry(*row) for row in session.execute(query)]
    return sorted(entries, key=lambda e: (e.in_force, e.other_than(provider.id).name.lower()))


def waiting_count(session: Session) -> int:
    """How many declarations wait for the other side or an admin."""
    return session.execute(
        select(func.count()).select_from(Affiliation).where(col(Affiliation.confirmed_at).is_(None))
    ).scalar_one()


def listing(
    session: Session, *, waiting_only: bool, page: int
) -> tuple[list[AffiliationEntry], int]:
    """One page of affiliations, newest declaration first, and how many there are."""
    query = _entries()
    counted = select(func.count()).select_from(Affiliation)
    if waiting_only:
        query = query.where(col(Affiliation.confirmed_at).is_(None))
        counted = counted.where(col(Affiliation.confirmed_at).is_(None))
    total = session.execute(counted).scalar_one()
    rows = session.execute(
        query.order_by(
            col(Affiliation.created_at).desc(),
            col(Affiliation.provider_id),
            col(Affiliation.affiliated_provider_id),
        )
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return [AffiliationEntry(*row) for row in rows], total

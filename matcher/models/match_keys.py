"""The match key: one row per (country, standard, kind, sector) a provider can be matched on.

Derived from provider_country x (provider_standard x provider_sector for consultants,
accreditation_scope for CBs, only where their body is confirmed for the standard's IAF MLA
scheme), so that the matcher's narrowing reads one index range of the
providers that fit a request's country, first standard and sector, instead of walking every
provider serving a big country. Sector 0 marks a consultant who serves every sector.

Each row also carries a copy of what the narrowing filters and ranks on (the provider's
status, employee range, track record, prices, accreditation, and the set of standards it
covers in that sector), so a request's candidates are filtered and bounded from one clustered
range of this table alone, never one provider row at a time. The copies are kept equal to
their sources by the session listeners in `matcher.models.match_key_sync`.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Index, case, delete, func, insert, literal, select, union_all
from sqlalchemy import update as sql_update
from sqlmodel import Field, SQLModel

from matcher.db import in_chunks
from matcher.iso.reference import STANDARDS
from matcher.iso.schemes import CONFIRMED, SCHEME_OF_STANDARD
from matcher.models.base import UTCDateTime
from matcher.models.providers import (
    AccreditationScope,
    Provider,
    ProviderCountry,
    ProviderKind,
    ProviderSector,
    ProviderStandard,
    money_field,
)
from matcher.models.recognition import BodySchemeRecognition

EVERY_SECTOR = 0

# The provider columns the score reads beyond locality: track record, recency and price.
SCORE_INPUTS = (
    "offers_received",
    "offers_answered",
    "median_response_hours",
    "rating_count",
    "rating_sum",
    "last_offered_at",
    "day_rate",
    "currency",
)
# Key column -> the provider column it copies.
COPIED = {
    "status": "status",
    "home_country": "country",
    "region": "region",
    "min_employees": "min_employees",
    "max_employees": "max_employees",
    "monthly_cap": "monthly_cap",
    **{name: name for name in SCORE_INPUTS},
    "accreditation_body_id": "accreditation_body_id",
    "accreditation_expires_on": "accreditation_expires_on",
}
KEY_COLUMNS = ("country", "standard", "kind", "sector", "provider_id")


class ProviderMatchKey(SQLModel, table=True):
    """A (country, standard, kind, sector) a provider covers, with what ranking reads of it."""

    __tablename__ = "provider_match_key"
    __table_args__ = (
        # PostgreSQL: the narrowing reads a key range by an index-only scan, so the rows of
        # one range need not sit together in the heap. SQLite clusters the table itself.
        Index(
            "ix_provider_match_key_ranking",
            "country",
            "standard",
            "kind",
            "sector",
            postgresql_include=["provider_id", "standard_set", *COPIED],
        ),
        {"sqlite_with_rowid": False},
    )

    country: str = Field(max_length=2, primary_key=True)
    standard: str = Field(max_length=16, primary_key=True)
    kind: str = Field(max_length=24, primary_key=True)
    sector: int = Field(primary_key=True)
    provider_id: int = Field(
        foreign_key="provider.id", primary_key=True, ondelete="CASCADE", index=True
    )
    # Every standard the provider covers in this sector (a consultant: all of its standards),
    # as bits in reference.STANDARDS order: a request for several is one AND.
    standard_set: int = 0

    status: str = Field(max_length=16)
    home_country: str | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, max_length=120)
    min_employees: int
    max_employees: int
    monthly_cap: int
    offers_received: int = 0
    offers_answered: int = 0
    median_response_hours: float | None = None
    rating_count: int = 0
    rating_sum: int = 0
    last_offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    day_rate: Decimal | None = money_field()
    currency: str | None = Field(default=None, max_length=3)
    accreditation_body_id: int | None = None
    accreditation_expires_on: date | None = None


STANDARD_BITS = {code: 1 << i for i, code in enumerate(STANDARDS)}


def standard_set(codes: Iterable[str]) -> int | None:
    """The bits of the given standards; None if one is not a standard CertMatch knows."""
    bits = 0
    for code in codes:
        if code not in STANDARD_BITS:
            return None
        bits |= STANDARD_BITS[code]
    return bits


def _bits(column):
    return case(STANDARD_BITS, value=column, else_=0)


def _copies(p) -> list:
    return [p.c[source].label(name) for name, source in COPIED.items()]


def _derived(ids: list[int] | None):
    """SELECT the keys the coverage tables imply (for the given providers, or all)."""
    p = Provider.__table__
    country = ProviderCountry.__table__
    standard = ProviderStandard.__table__
    sector = ProviderSector.__table__
    mine = [] if ids is None else [p.c.id.in_(ids)]
    scope = _recognised_scope(p, mine)
    # Each provider's standards, and each CB's standards per sector, as one bit set; summing
    # distinct bits is OR (SQLite has no bit_or aggregate).
    consultant_set = (
        select(standard.c.provider_id, func.sum(_bits(standard.c.standard)).label("bits"))
        .where(*([] if ids is None else [standard.c.provider_id.in_(ids)]))
        .group_by(standard.c.provider_id)
        .subquery("consultant_set")
    )
    scope_set = (
        select(scope.c.provider_id, scope.c.sector, func.sum(_bits(scope.c.standard)).label("bits"))
        .group_by(scope.c.provider_id, scope.c.sector)
        .subquery("scope_set")
    )
    consultants = (
        select(
            country.c.country,
            standard.c.standard,
            literal(ProviderKind.CONSULTANT).label("kind"),
            # No named sector at all: one key for every sector.
            func.coalesce(sector.c.sector, EVERY_SECTOR).label("sector"),
            p.c.id,
            consultant_set.c.bits,
            *_copies(p),
        )
        .select_from(p)
        .join(country, country.c.provider_id == p.c.id)
        .join(standard, standard.c.provider_id == p.c.id)
        .join(consultant_set, consultant_set.c.provider_id == p.c.id)
        .outerjoin(sector, sector.c.provider_id == p.c.id)
        .where(p.c.kind == ProviderKind.CONSULTANT, *mine)
    )
    bodies = (
        select(
            country.c.country,
            scope.c.standard,
            literal(ProviderKind.CERTIFICATION_BODY).label("kind"),
            scope.c.sector,
            p.c.id,
            scope_set.c.bits,
            *_copies(p),
        )
        .select_from(p)
        .join(country, country.c.provider_id == p.c.id)
        .join(scope, scope.c.provider_id == p.c.id)
        .join(
            scope_set,
            (scope_set.c.provider_id == p.c.id) & (scope_set.c.sector == scope.c.sector),
        )
        .where(p.c.kind == ProviderKind.CERTIFICATION_BODY, *mine)
    )
    return union_all(consultants, bodies)


def _recognised_scope(p, mine: list):
    """A CB's scope rows whose standard's IAF MLA scheme its body is confirmed for.

    A standard the body is not recognised for gets no key and no bit: the narrowing never
    sees it, so a request for it never reaches the CB (suspension is checked on the copy).
    """
    scope = AccreditationScope.__table__
    recognition = BodySchemeRecognition.__table__
    return (
        select(scope.c.provider_id, scope.c.standard, scope.c.sector)
        .select_from(scope)
        .join(p, p.c.id == scope.c.provider_id)
        .join(
            recognition,
            (recognition.c.body_id == p.c.accreditation_body_id)
            & (recognition.c.scheme == case(SCHEME_OF_STANDARD, value=scope.c.standard))
            & (recognition.c.status == CONFIRMED),
        )
        .where(*mine)
        .subquery("recognised_scope")
    )


_INSERTED = [*KEY_COLUMNS, "standard_set", *COPIED]


def rebuild_match_keys(connection: Connection, provider_ids: Iterable[int] | None = None) -> None:
    """Recompute the match keys of the given providers (None: of every provider)."""
    table = ProviderMatchKey.__table__
    if provider_ids is None:
        connection.execute(delete(table))
        connection.execute(insert(table).from_select(_INSERTED, _derived(None)))
        return
    for chunk in in_chunks(sorted(set(provider_ids))):
        _lock_providers(connection, chunk)
        connection.execute(delete(table).where(table.c.provider_id.in_(chunk)))
        connection.execute(insert(table).from_select(_INSERTED, _derived(chunk)))


def copy_provider_columns(connection: Connection, provider_ids: Iterable[int]) -> None:
    """Copy the providers' current status, range, record and prices onto their keys."""
    table = ProviderMatchKey.__table__
    p = Provider.__table__
    for chunk in in_chunks(sorted(set(provider_ids))):
        _lock_providers(connection, chunk)
        if connection.dialect.name == "postgresql":
            statement = (
                sql_update(table)
                .where(table.c.provider_id == p.c.id, p.c.id.in_(chunk))
                .values({name: p.c[source] for name, source in COPIED.items()})
            )
        else:
            # Correlated subqueries, not UPDATE ... FROM: that needs SQLite 3.33 or later.
            owner = table.c.provider_id
            statement = (
                sql_update(table)
                .where(owner.in_(chunk))
                .values(
                    {
                        name: select(p.c[source]).where(p.c.id == owner).scalar_subquery()
                        for name, source in COPIED.items()
                    }
                )
            )
        connection.execute(statement)


def _lock_providers(connection: Connection, ids: list[int]) -> None:
    """Lock the providers' rows before their keys, in id order, as every other write does.

    A provider update (rating, track record, offer stamp) locks the provider row, then its
    keys; a coverage change that rebuilt the keys first and updated the provider after would
    take them the other way round and deadlock with it on PostgreSQL. (SQLite: one writer.)
    FOR NO KEY UPDATE, the lock a plain UPDATE takes: FOR UPDATE would also wait for every
    transaction that inserted a row pointing at the provider (an offer, a mail, a rating)
    and deadlock with one that then updates the provider too.
    """
    if connection.dialect.name == "postgresql":
        p = Provider.__table__
        locking = select(p.c.id).where(p.c.id.in_(ids)).order_by(p.c.id)
        connection.execute(locking.with_for_update(key_share=True))

"""The match key: one row per (country, standard, kind, sector) a provider can be matched on.

Derived from provider_country x (provider_standard x provider_sector for consultants,
accreditation_scope for CBs), so that the matcher's narrowing reads one index range of the
providers that fit a request's country, first standard and sector, instead of walking every
provider serving a big country. Sector 0 marks a consultant who serves every sector.

Kept in sync by the session itself (listeners below): any ORM write to a provider's
countries, standards, sectors or scope, flushed or bulk, rebuilds that provider's keys in
the same transaction, so no write path has to remember to. Writes that bypass the ORM
(Core inserts in a benchmark or a data fix) call `rebuild_match_keys` themselves.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, delete, event, func, insert, inspect, literal, select, union_all
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import Field, SQLModel

from matcher.models.providers import (
    AccreditationScope,
    Provider,
    ProviderCountry,
    ProviderKind,
    ProviderSector,
    ProviderStandard,
)

EVERY_SECTOR = 0
COVERAGE = (ProviderCountry, ProviderStandard, ProviderSector, AccreditationScope)
# Bound parameters per IN list: far below SQLite's and PostgreSQL's limits.
CHUNK = 5000


class ProviderMatchKey(SQLModel, table=True):
    """A (country, standard, kind, sector) a provider covers; sector 0: every sector."""

    __tablename__ = "provider_match_key"

    country: str = Field(max_length=2, primary_key=True)
    standard: str = Field(max_length=16, primary_key=True)
    kind: str = Field(max_length=24, primary_key=True)
    sector: int = Field(primary_key=True)
    provider_id: int = Field(
        foreign_key="provider.id", primary_key=True, ondelete="CASCADE", index=True
    )


def _derived(ids: list[int] | None):
    """SELECT the keys the coverage tables imply (for the given providers, or all)."""
    p = Provider.__table__
    country = ProviderCountry.__table__
    standard = ProviderStandard.__table__
    sector = ProviderSector.__table__
    scope = AccreditationScope.__table__
    mine = [] if ids is None else [p.c.id.in_(ids)]
    consultants = (
        select(
            country.c.country,
            standard.c.standard,
            literal(ProviderKind.CONSULTANT).label("kind"),
            # No named sector at all: one key for every sector.
            func.coalesce(sector.c.sector, EVERY_SECTOR).label("sector"),
            p.c.id,
        )
        .select_from(p)
        .join(country, country.c.provider_id == p.c.id)
        .join(standard, standard.c.provider_id == p.c.id)
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
        )
        .select_from(p)
        .join(country, country.c.provider_id == p.c.id)
        .join(scope, scope.c.provider_id == p.c.id)
        .where(p.c.kind == ProviderKind.CERTIFICATION_BODY, *mine)
    )
    return union_all(consultants, bodies)


def rebuild_match_keys(connection: Connection, provider_ids: Iterable[int] | None = None) -> None:
    """Recompute the match keys of the given providers (None: of every provider)."""
    table = ProviderMatchKey.__table__
    columns = ["country", "standard", "kind", "sector", "provider_id"]
    if provider_ids is None:
        connection.execute(delete(table))
        connection.execute(insert(table).from_select(columns, _derived(None)))
        return
    ids = sorted(set(provider_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        connection.execute(delete(table).where(table.c.provider_id.in_(chunk)))
        connection.execute(insert(table).from_select(columns, _derived(chunk)))


def _touched(objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        if isinstance(obj, COVERAGE):
            history = inspect(obj).attrs.provider_id.history
            ids.update(history.deleted, history.unchanged, history.added)
    ids.discard(None)
    return ids


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # new/dirty/deleted still hold what this flush wrote.
    ids = _touched([*session.new, *session.dirty, *session.deleted])
    if ids:
        rebuild_match_keys(session.connection(), ids)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState):
    # Bulk DELETE/UPDATE/INSERT statements on the coverage tables skip the flush.
    if not (state.is_delete or state.is_update or state.is_insert):
        return None
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ not in COVERAGE:
        return None
    entity = mapper.class_
    statement = state.statement
    ids: set[int] = set()
    if state.is_insert:
        rows = state.parameters
        rows = rows if isinstance(rows, list) else [rows or {}]
        ids = {row["provider_id"] for row in rows if row.get("provider_id") is not None}
        ids |= _statement_values(statement)
    else:
        where = statement.whereclause
        query = select(entity.provider_id)
        if where is not None:
            query = query.where(where)
        ids = set(state.session.execute(query, state.parameters or {}).scalars())
    result = state.invoke_statement()
    if state.is_update:
        ids |= _statement_values(statement)
    if ids:
        rebuild_match_keys(state.session.connection(), ids)
    return result


def _statement_values(statement) -> set[int]:
    """provider_id values written by an INSERT ... VALUES or UPDATE ... SET, if any."""
    values = getattr(statement, "_values", None) or {}
    found = set()
    for key, value in values.items():
        name = getattr(key, "key", key)
        if name == "provider_id":
            found.add(getattr(value, "value", value))
    return found

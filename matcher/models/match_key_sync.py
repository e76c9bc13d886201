"""Keep the match key equal to its sources, whatever ORM write changed them.

Any ORM write to a provider's countries, standards, sectors or scope, flushed or bulk,
rebuilds that provider's keys in the same transaction; any ORM write to a provider column the
keys copy (status, range, track record, prices, accreditation) copies it onto them. So no
write path has to remember to. Writes that bypass the ORM (Core statements in a benchmark or
a data fix) call `rebuild_match_keys` themselves.
"""

from collections.abc import Iterable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from matcher.models.match_keys import COPIED, copy_provider_columns, rebuild_match_keys
from matcher.models.providers import (
    AccreditationScope,
    Provider,
    ProviderCountry,
    ProviderSector,
    ProviderStandard,
)

COVERAGE = (ProviderCountry, ProviderStandard, ProviderSector, AccreditationScope)
COPIED_ATTRIBUTES = frozenset(COPIED.values())


def _coverage_touched(objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        if isinstance(obj, COVERAGE):
            history = inspect(obj).attrs.provider_id.history
            ids.update(history.deleted, history.unchanged, history.added)
    ids.discard(None)
    return ids


def _copies_changed(objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        if isinstance(obj, Provider) and obj.id is not None:
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in COPIED_ATTRIBUTES):
                ids.add(obj.id)
    return ids


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # new/dirty/deleted still hold what this flush wrote.
    rebuilt = _coverage_touched([*session.new, *session.dirty, *session.deleted])
    if rebuilt:
        rebuild_match_keys(session.connection(), rebuilt)
    copied = _copies_changed(session.dirty) - rebuilt
    if copied:
        copy_provider_columns(session.connection(), copied)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState):
    # Bulk DELETE/UPDATE/INSERT statements skip the flush.
    if not (state.is_delete or state.is_update or state.is_insert):
        return None
    mapper = state.bind_mapper
    if mapper is None:
        return None
    if mapper.class_ is Provider:
        return _bulk_provider_write(state)
    if mapper.class_ not in COVERAGE:
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
        ids = _matching_ids(state, entity.provider_id)
    result = state.invoke_statement()
    if state.is_update:
        ids |= _statement_values(statement)
    if ids:
        rebuild_match_keys(state.session.connection(), ids)
    return result


def _bulk_provider_write(state: ORMExecuteState):
    """A bulk UPDATE of providers: copy what it wrote onto their keys (a DELETE cascades)."""
    if not state.is_update:
        return None
    ids = _matching_ids(state, Provider.id)
    result = state.invoke_statement()
    if ids:
        copy_provider_columns(state.session.connection(), ids)
    return result


def _matching_ids(state: ORMExecuteState, column) -> set[int]:
    """The provider ids of the rows a bulk UPDATE or DELETE is about to touch."""
    where = state.statement.whereclause
    query = select(column)
    if where is not None:
        query = query.where(where)
    return set(state.session.execute(query, state.parameters or {}).scalars())


def _statement_values(statement) -> set[int]:
    """provider_id values written by an INSERT ... VALUES or UPDATE ... SET, if any."""
    values = getattr(statement, "_values", None) or {}
    found = set()
    for key, value in values.items():
        name = getattr(key, "key", key)
        if name == "provider_id":
            found.add(getattr(value, "value", value))
    return found

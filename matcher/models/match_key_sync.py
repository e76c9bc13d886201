"""Keep the match key equal to its sources, whatever ORM write changed them.

Any ORM write to a provider's countries, standards, sectors or scope, flushed or bulk,
rebuilds that provider's keys in the same transaction; any ORM write to a provider column the
keys copy (status, range, track record, prices, accreditation) copies it onto them. A CB's
keys also depend on which schemes its body is recognised for: a change of a body's scheme
rows, or of a CB's body, rebuilds them. So no write path has to remember to. Writes that
bypass the ORM (Core statements in a benchmark or a data fix) call `rebuild_match_keys`
themselves.
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
from matcher.models.recognition import BodySchemeRecognition

COVERAGE = (ProviderCountry, ProviderStandard, ProviderSector, AccreditationScope)
COPIED_ATTRIBUTES = frozenset(COPIED.values())
# Which of the body's schemes count decides which scope rows make keys (see match_keys).
BODY_ATTRIBUTE = "accreditation_body_id"


def _coverage_touched(objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        if isinstance(obj, COVERAGE):
            history = inspect(obj).attrs.provider_id.history
            ids.update(history.deleted, history.unchanged, history.added)
    ids.discard(None)
    return ids


def _body_changed(objects: Iterable) -> set[int]:
    return {
        obj.id
        for obj in objects
        if isinstance(obj, Provider)
        and obj.id is not None
        and inspect(obj).attrs[BODY_ATTRIBUTE].history.has_changes()
    }


def _recognition_touched(session: Session, objects: Iterable) -> set[int]:
    """The CBs of the bodies whose scheme rows these objects are."""
    bodies = set()
    for obj in objects:
        if isinstance(obj, BodySchemeRecognition):
            history = inspect(obj).attrs.body_id.history
            bodies.update(history.deleted, history.unchanged, history.added)
    return _cbs_of(session, bodies)


def _cbs_of(session: Session, body_ids: set) -> set[int]:
    body_ids = sorted(body_ids - {None})
    if not body_ids:
        return set()
    p = Provider.__table__
    query = select(p.c.id).where(p.c.accreditation_body_id.in_(body_ids))
    return set(session.connection().execute(query).scalars())


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
    written = [*session.new, *session.dirty, *session.deleted]
    rebuilt = (
        _coverage_touched(written)
        | _body_changed(session.dirty)
        | _recognition_touched(session, written)
    )
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
    if mapper.class_ is BodySchemeRecognition:
        return _bulk_recognition_write(state)
    if mapper.class_ not in COVERAGE:
        return None
    statement = state.statement
    if state.is_insert and getattr(statement, "select", None) is not None:
        # INSERT ... FROM SELECT: which providers it touches is known only after it ran.
        result = state.invoke_statement()
        rebuild_match_keys(state.session.connection())
        return result
    ids = _statement_ids(statement, "provider_id") | _parameter_ids(state, "provider_id")
    if not state.is_insert:
        ids |= _matching_ids(state, mapper.class_.provider_id)
    result = state.invoke_statement()
    if ids:
        rebuild_match_keys(state.session.connection(), ids)
    return result


def _bulk_provider_write(state: ORMExecuteState):
    """A bulk UPDATE of providers: copy what it wrote onto their keys (a DELETE cascades);
    one that moves CBs to another body rebuilds them."""
    if not state.is_update:
        return None
    ids = _parameter_ids(state, "id") | _matching_ids(state, Provider.id)
    moved = _writes(state, BODY_ATTRIBUTE)
    result = state.invoke_statement()
    if ids and moved:
        rebuild_match_keys(state.session.connection(), ids)
    elif ids:
        copy_provider_columns(state.session.connection(), ids)
    return result


def _bulk_recognition_write(state: ORMExecuteState):
    """A bulk write of scheme rows: rebuild the keys of the CBs of the bodies it touches."""
    statement = state.statement
    if state.is_insert and getattr(statement, "select", None) is not None:
        result = state.invoke_statement()
        rebuild_match_keys(state.session.connection())
        return result
    bodies = _statement_ids(statement, "body_id") | _parameter_ids(state, "body_id")
    if not state.is_insert:
        bodies |= _matching_ids(state, BodySchemeRecognition.body_id)
    result = state.invoke_statement()
    cbs = _cbs_of(state.session, bodies)
    if cbs:
        rebuild_match_keys(state.session.connection(), cbs)
    return result


def _writes(state: ORMExecuteState, name: str) -> bool:
    """Whether a bulk UPDATE sets column `name`, in its SET clause or its parameters."""
    values = getattr(state.statement, "_values", None) or {}
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    return any(getattr(key, "key", key) == name for key in values) or any(
        name in row for row in rows
    )


def _matching_ids(state: ORMExecuteState, column) -> set[int]:
    """The provider ids of the rows a bulk UPDATE or DELETE with a WHERE is about to touch."""
    where = state.statement.whereclause
    if isinstance(state.parameters, list):
        # Executemany by primary key: the rows are named in the parameters, not a WHERE.
        return set()
    query = select(column)
    if where is not None:
        query = query.where(where)
    return set(state.session.execute(query, state.parameters or {}).scalars())


def _parameter_ids(state: ORMExecuteState, name: str) -> set[int]:
    """Ids named in execute()'s parameters (one dict, or a list for executemany)."""
    rows = state.parameters
    rows = rows if isinstance(rows, list) else [rows or {}]
    return {row[name] for row in rows if row.get(name) is not None}


def _statement_ids(statement, name: str) -> set[int]:
    """Values of column `name` written by INSERT ... VALUES (one row or many) or UPDATE ... SET."""
    rows = [getattr(statement, "_values", None) or {}]
    for many in getattr(statement, "_multi_values", ()) or ():
        rows.extend(many)
    found = set()
    for row in rows:
        for key, value in row.items():
            if getattr(key, "key", key) == name:
                found.add(getattr(value, "value", value))
    found.discard(None)
    return found

"""Id lists longer than one IN (...) may hold are read chunk by chunk, and no id is lost at a seam.

The chunk is made two ids long here, so five providers span three chunks.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, select
from sqlmodel import col

from matcher import db as database
from matcher.candidates.search import match_candidates
from matcher.db import in_chunks
from matcher.matching import OfferHistory
from matcher.models import Provider, ProviderMatchKey, ProviderStatus, rebuild_match_keys, utcnow
from matcher.providers.vouching import lock_vouched, provider_rows
from matcher.quotes.withdrawal import free_held_leads
from tests.lead_helpers import act, matched_request
from tests.market import affiliate, facts_of_a_request, fresh, make_cb, make_consultant


@pytest.fixture
def short_lists(monkeypatch):
    monkeypatch.setattr(database, "IN_CHUNK", 2)


@contextmanager
def statements(needle: str):
    """Collect the SQL statements any engine runs meanwhile that contain `needle`."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if needle in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _keys(db) -> set[tuple]:
    table = ProviderMatchKey.__table__
    return set(db.connection().execute(select(table)).all())


def test_ids_are_split_into_lists_of_at_most_the_chunk_size_in_the_order_given(short_lists):
    assert list(in_chunks([5, 3, 9, 1, 7])) == [[5, 3], [9, 1], [7]]
    assert list(in_chunks(iter([4, 2]))) == [[4, 2]]
    assert list(in_chunks([])) == []


def test_vouching_reads_and_locks_every_provider_of_a_long_list(db, short_lists):
    made = [make_cb(db) for _ in range(4)]
    made.append(make_cb(db, status=ProviderStatus.SUSPENDED))
    ids = [p.id for p in made]
    fresh(db)
    with statements("FROM provider") as seen:
        rows = provider_rows(db, reversed(ids), lock=True)
    assert [row.id for row in rows] == sorted(ids)
    assert len(seen) == 3
    assert lock_vouched(db, ids, today=utcnow().date()) == set(ids[:4])
    db.rollback()


def test_a_suspension_frees_every_lead_of_more_providers_than_one_chunk_holds(app, db, short_lists):
    made = [make_cb(db) for _ in range(5)]
    matched_request(db, made[:3])
    matched_request(db, made[3:])
    ids = [p.id for p in made]
    with statements("lead_offer.provider_id IN") as seen:
        freed = act(app, free_held_leads, provider_ids=ids, now=utcnow())
    assert freed == dict.fromkeys(ids, 1)
    # The held leads are read twice: to lock their requests, then for leads made meanwhile.
    assert len(seen) == 2 * 3


def test_match_keys_rebuilt_and_copied_chunk_by_chunk_equal_a_full_rebuild(db, short_lists):
    made = [make_consultant(db, countries=("GB", "IE")) for _ in range(3)]
    made += [make_cb(db) for _ in range(2)]
    ids = [p.id for p in made]
    db.commit()
    whole = _keys(db)
    db.execute(ProviderMatchKey.__table__.delete())
    with statements("DELETE FROM provider_match_key") as seen:
        rebuild_match_keys(db.connection(), ids)
    assert _keys(db) == whole
    assert len(seen) == 3
    for provider in db.exec(select(Provider).where(col(Provider.id).in_(ids))).scalars():
        provider.monthly_cap = 9
    with statements("UPDATE provider_match_key") as seen:
        db.flush()
    assert len(seen) == 3
    copied = _keys(db)
    rebuild_match_keys(db.connection())
    assert _keys(db) == copied
    assert {row.monthly_cap for row in copied} == {9}
    db.rollback()


def test_impartiality_keeps_out_the_affiliates_of_a_long_offer_history(db, short_lists):
    consultants = [make_consultant(db) for _ in range(5)]
    for consultant in consultants:
        affiliate(db, make_cb(db), consultant)
    independent = make_cb(db)
    history = OfferHistory(offered={c.id: c.kind for c in consultants})
    fresh(db)
    with statements("affiliation.provider_id IN") as seen:
        ranking, _ = match_candidates(db, facts_of_a_request(), history, utcnow())
    assert [c.provider.id for c in ranking.candidates] == [independent.id]
    assert len(seen) == 3

"""The match key follows every change to a provider's coverage and to the columns it copies."""

import threading

from sqlalchemy import insert, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy import select as select_
from sqlmodel import Session, col, delete, select

from matcher.candidates.search import match_candidates
from matcher.db import make_engine
from matcher.matching import OfferHistory
from matcher.models import (
    OutboxMessage,
    Provider,
    ProviderCountry,
    ProviderMatchKey,
    ProviderSector,
    ProviderStandard,
    rebuild_match_keys,
    utcnow,
)
from matcher.models.match_keys import COPIED
from matcher.providers import track_record
from matcher.providers.profiles import create_provider, replace_coverage
from matcher.vetting.change_review import apply_pending_changes
from tests.market import facts_of_a_request, fresh, make_body, make_cb, make_consultant


def keys(db) -> set[tuple]:
    """Every key row, with its standard set and every copied column."""
    table = ProviderMatchKey.__table__
    columns = ["provider_id", "country", "standard", "kind", "sector", "standard_set", *COPIED]
    return set(db.connection().execute(sa_select(*(table.c[name] for name in columns))).all())


def assert_keys_match_a_full_rebuild(db) -> set[tuple]:
    """The keys kept up write by write, copies included, are exactly those a rebuild derives.

    Returns the keys as (provider_id, country, standard, kind, sector).
    """
    db.commit()
    kept = keys(db)
    rebuild_match_keys(db.connection())
    assert keys(db) == kept
    db.rollback()
    return {row[:5] for row in kept}


def test_a_new_consultant_gets_a_key_per_country_standard_and_named_sector(db):
    consultant = create_provider(
        db,
        kind="consultant",
        name="Keyed",
        email="keyed@providers.example",
        countries=["GB", "DE"],
        standards=["iso9001", "iso14001"],
        sectors=[17],
    )
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k for k in kept if k[0] == consultant.id} == {
        (consultant.id, country, standard, "consultant", 17)
        for country in ("GB", "DE")
        for standard in ("iso9001", "iso14001")
    }


def test_a_consultant_dropping_every_sector_is_keyed_for_every_sector(db):
    consultant = make_consultant(db, sectors=(3, 17))
    # Only a bulk delete, nothing added: the flush alone would never see it.
    replace_coverage(db, consultant, sectors=[])
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[4] for k in kept if k[0] == consultant.id} == {0}


def test_replacing_countries_standards_and_scope_moves_the_keys(db):
    consultant = make_consultant(db)
    cb = make_cb(db)
    replace_coverage(db, consultant, countries=["FR"], standards=["iso27001"])
    replace_coverage(db, cb, scope=[("iso14001", 3)])
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k for k in kept if k[0] in (consultant.id, cb.id)} == {
        (consultant.id, "FR", "iso27001", "consultant", 0),
        (cb.id, "GB", "iso14001", "certification_body", 3),
    }


def test_an_approved_scope_change_moves_the_cbs_keys(db):
    cb = make_cb(db, scope=(("iso9001", 17),))
    cb.pending_changes = {"scope": [["iso9001", 28]]}
    db.add(cb)
    apply_pending_changes(db, cb, actor_id=None)
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[4] for k in kept if k[0] == cb.id} == {28}


def test_rows_deleted_one_by_one_or_in_bulk_take_their_keys_with_them(db):
    consultant = make_consultant(db, countries=("GB", "DE", "FR"), sectors=(17,))
    row = db.exec(
        select(ProviderCountry).where(
            ProviderCountry.provider_id == consultant.id, ProviderCountry.country == "DE"
        )
    ).one()
    db.delete(row)
    db.flush()
    db.exec(
        delete(ProviderCountry).where(
            col(ProviderCountry.provider_id) == consultant.id, ProviderCountry.country == "FR"
        )
    )
    db.exec(delete(ProviderSector).where(col(ProviderSector.provider_id) == consultant.id))
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k for k in kept if k[0] == consultant.id} == {
        (consultant.id, "GB", "iso9001", "consultant", 0)
    }


def test_a_provider_whose_coverage_changed_is_matched_on_the_new_one(db):
    body = make_body(db)
    cb = make_cb(db, body=body, countries=("GB",), scope=(("iso9001", 17),))
    request = facts_of_a_request(standards=("iso14001",), sector=3, country="DE")
    fresh(db)
    assert match_candidates(db, request, OfferHistory(), utcnow())[1].chosen == []
    replace_coverage(db, cb, countries=["DE"], scope=[("iso14001", 3)])
    db.commit()
    _, selection = match_candidates(db, request, OfferHistory(), utcnow())
    assert [c.provider.id for c in selection.chosen] == [cb.id]


def test_multi_row_inserts_and_bulk_updates_by_primary_key_keep_the_keys(db):
    consultant = make_consultant(db, countries=("GB",))
    other = make_consultant(db, countries=("GB",))
    db.exec(
        insert(ProviderCountry).values(
            [
                {"provider_id": consultant.id, "country": "IE"},
                {"provider_id": other.id, "country": "FR"},
            ]
        )
    )
    db.execute(
        update(Provider),
        [{"id": consultant.id, "monthly_cap": 3}, {"id": other.id, "min_employees": 9}],
    )
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[1] for k in kept if k[0] == consultant.id} == {"GB", "IE"}
    assert {k[1] for k in kept if k[0] == other.id} == {"GB", "FR"}


def test_an_insert_from_select_rebuilds_the_keys(db):
    consultant = make_consultant(db, countries=("GB",), standards=("iso9001",))
    standard = ProviderStandard.__table__
    db.exec(
        insert(ProviderStandard).from_select(
            ["provider_id", "standard"],
            select_(standard.c.provider_id, literal("iso14001")).where(
                standard.c.provider_id == consultant.id
            ),
        )
    )
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[2] for k in kept if k[0] == consultant.id} == {"iso9001", "iso14001"}


def test_a_scope_change_and_a_rating_at_once_do_not_deadlock(app, db):
    """Both lock the provider row before its keys, so one simply waits for the other."""
    cb = make_cb(db, scope=(("iso9001", 17), ("iso9001", 28)))
    db.commit()
    engine = make_engine(app.config["DATABASE_URL"])
    failures = []
    with Session(engine) as narrowing, Session(engine) as rating:
        provider = narrowing.get(Provider, cb.id)
        replace_coverage(narrowing, provider, scope=[("iso9001", 17)])

        def rate():
            try:
                track_record.record_rating(rating, cb.id, 5)
                rating.commit()
            except Exception as error:  # the assertion below reports it
                failures.append(error)
                rating.rollback()

        thread = threading.Thread(target=rate)
        thread.start()
        thread.join(0.5)
        provider.monthly_cap = 9
        narrowing.add(provider)
        narrowing.commit()
        thread.join(30)
    engine.dispose()
    assert failures == []
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[4] for k in kept if k[0] == cb.id} == {17}


def test_two_jobs_offering_one_provider_at_once_do_not_deadlock(app, db):
    """Each inserts a row pointing at the provider, then stamps it: one waits, none fails."""
    consultant = make_consultant(db)
    db.commit()
    engine = make_engine(app.config["DATABASE_URL"])
    failures = []
    with Session(engine) as first, Session(engine) as second:

        def stamp(session):
            try:
                session.exec(
                    update(Provider)
                    .where(col(Provider.id) == consultant.id)
                    .values(last_offered_at=utcnow())
                )
                session.commit()
            except Exception as error:  # the assertion below reports it
                failures.append(error)
                session.rollback()

        threads = []
        for number, session in enumerate((first, second)):
            if session.bind.dialect.name == "postgresql" or number == 0:
                # Like a lead mail in the outbox: a row referencing the provider.
                session.add(
                    OutboxMessage(
                        to_email="lead@providers.example",
                        subject="New lead",
                        template="lead",
                        body_text="A lead.",
                        message_id=f"deadlock-{number}@certmatch.test",
                        provider_id=consultant.id,
                    )
                )
                session.flush()
        for session in (first, second):
            threads.append(threading.Thread(target=stamp, args=(session,)))
            threads[-1].start()
            threads[-1].join(0.5)
        for thread in threads:
            thread.join(30)
    engine.dispose()
    assert failures == []
    assert_keys_match_a_full_rebuild(db)

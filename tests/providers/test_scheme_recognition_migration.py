"""Migration 0003: each body's recognition per scheme starts from the data, never wider.

Each test migrates a blank database of its own (see test_affiliation_migration).
"""

from alembic import command
from sqlalchemy import create_engine, text

from matcher.migrations import alembic_config, upgrade
from tests.providers.test_affiliation_migration import DECLARED, blank_database  # noqa: F401

BODY = text(
    "INSERT INTO accreditation_body (id, acronym, name, recognised, suspended, created_at) "
    "VALUES (:id, :acronym, :acronym, :recognised, false, :at)"
).bindparams(at=DECLARED)


def _schemes(engine, status: str) -> dict[str, set[str]]:
    query = text(
        "SELECT b.acronym, r.scheme FROM body_scheme_recognition r "
        "JOIN accreditation_body b ON b.id = r.body_id WHERE r.status = :status"
    )
    found: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for acronym, scheme in conn.execute(query, {"status": status}):
            found.setdefault(acronym, set()).add(scheme)
    return found


def _recognised(engine) -> dict[str, bool]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT acronym, recognised FROM accreditation_body"))
        return {acronym: bool(flag) for acronym, flag in rows}


def test_bodies_before_0003_are_confirmed_only_for_what_the_data_confirms(
    blank_database,  # noqa: F811
):
    upgrade(blank_database, "0002")
    engine = create_engine(blank_database)
    with engine.begin() as conn:
        for body_id, acronym, recognised in (
            (1, "UKAS", True),
            (2, "DAkkS", True),
            (3, "ANAB", False),  # an admin's "not recognised" before 0003
            (4, "Local AB", True),  # added by an admin, not in the data
        ):
            conn.execute(BODY, {"id": body_id, "acronym": acronym, "recognised": recognised})

    upgrade(blank_database, "head")
    confirmed = _schemes(engine, "confirmed")
    assert confirmed["UKAS"] == {"QMS", "EMS", "OHSMS", "ISMS", "FSMS", "MDMS", "EnMS"}
    assert confirmed["DAkkS"] == {"QMS", "EMS", "OHSMS"}
    assert "ANAB" not in confirmed and "Local AB" not in confirmed
    assert len(_schemes(engine, "unconfirmed")["Local AB"]) == 7
    assert _recognised(engine) == {"UKAS": True, "DAkkS": True, "ANAB": False, "Local AB": False}

    command.downgrade(alembic_config(blank_database), "0002")
    assert _recognised(engine)["ANAB"] is False
    upgrade(blank_database, "head")
    engine.dispose()

"""Migration 0004: requests stored before it named no consultant of the last two years.

Each test migrates a blank database of its own (see test_affiliation_migration).
"""

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from matcher.migrations import alembic_config, upgrade
from matcher.models import QuoteRequest
from tests.providers.test_affiliation_migration import DECLARED, blank_database  # noqa: F401

REQUEST = text(
    "INSERT INTO quote_request (id, public_id, fingerprint, company_name, contact_name, email, "
    "country, sector, employees, sites, standards, service, certification_status, timeline, "
    "currency, status, created_at) VALUES (7, 'p7', 'f7', 'Acme', 'Ann', 'ann@x.example', 'GB', "
    "17, 45, 1, 'iso9001', 'certification', 'new', 'asap', 'GBP', 'confirmed', :at)"
).bindparams(at=DECLARED)


def test_requests_stored_before_0004_name_no_previous_consultant_and_downgrade_drops_the_column(
    blank_database,  # noqa: F811
):
    upgrade(blank_database, "0003")
    engine = create_engine(blank_database)
    with engine.begin() as conn:
        conn.execute(REQUEST)

    upgrade(blank_database, "0004")
    table = QuoteRequest.__table__
    with engine.connect() as conn:
        stored = conn.execute(select(table.c.previous_consultants)).scalar_one()
    assert stored == []

    command.downgrade(alembic_config(blank_database), "0003")
    columns = {column["name"] for column in inspect(engine).get_columns("quote_request")}
    assert "previous_consultants" not in columns
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM quote_request")).scalars().all() == [7]
    upgrade(blank_database, "head")
    engine.dispose()

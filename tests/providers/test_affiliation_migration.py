"""Migration 0002: affiliations in force before it stay in force; the schema matches the models.

Each test migrates a blank database of its own (SQLite file, or a new PostgreSQL database on
the server DATABASE_URL names), since the shared one is already at head.
"""

import os
import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from matcher.config import normalise_database_url
from matcher.migrations import alembic_config, upgrade
from matcher.models import Affiliation

DECLARED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
PROVIDER = text(
    "INSERT INTO provider (id, kind, name, email, min_employees, max_employees, monthly_cap, "
    "status, offers_received, offers_answered, rating_count, rating_sum, created_at) VALUES "
    "(:id, :kind, :name, :email, 1, 100, 10, 'verified', 0, 0, 0, 0, :at)"
).bindparams(at=DECLARED)


@pytest.fixture
def blank_database(tmp_path):
    """The URL of an empty database no other test uses."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = make_url(normalise_database_url(server_url))
    name = f"certmatch_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _affiliations(engine) -> dict[tuple[int, int], tuple]:
    table = Affiliation.__table__
    query = select(
        table.c.provider_id, table.c.affiliated_provider_id, table.c.confirmed_at,
        table.c.confirmed_via,
    )  # fmt: skip
    with engine.connect() as conn:
        return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(query)}


def test_affiliations_declared_before_0002_stay_in_force_and_downgrade_drops_the_unconfirmed(
    blank_database,
):
    upgrade(blank_database, "0001")
    engine = create_engine(blank_database)
    with engine.begin() as conn:
        for pid, kind in ((1, "consultant"), (2, "certification_body"), (3, "consultant")):
            conn.execute(PROVIDER, {"id": pid, "kind": kind, "name": f"P{pid}",
                                    "email": f"p{pid}@x.example"})  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO affiliation (provider_id, affiliated_provider_id, created_at) "
                "VALUES (1, 2, :at)"
            ).bindparams(at=DECLARED)
        )

    upgrade(blank_database, "head")
    assert _affiliations(engine) == {(1, 2): (DECLARED, "migration")}

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO affiliation (provider_id, affiliated_provider_id, created_at) "
                "VALUES (3, 2, :at)"
            ).bindparams(at=DECLARED)
        )
    command.downgrade(alembic_config(blank_database), "0001")
    with engine.connect() as conn:
        left = conn.execute(text("SELECT provider_id FROM affiliation")).scalars().all()
    assert left == [1], "a declaration never confirmed must not start counting"
    upgrade(blank_database, "head")
    engine.dispose()


def test_the_migrated_schema_matches_the_models(blank_database):
    upgrade(blank_database, "head")
    engine = create_engine(blank_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []

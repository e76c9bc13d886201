"""Alembic environment: run migrations against the configured URL (batch mode on SQLite)."""

from alembic import context
from sqlmodel import SQLModel

import matcher.models  # noqa: F401  registers every table
from matcher.db import make_engine
from matcher.models.base import UTCDateTime

target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):
    """Render our UTC type as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()

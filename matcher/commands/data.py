"""Schema and data commands: db upgrade, seed-demo."""

import click
from flask import current_app
from flask.cli import with_appcontext

from matcher.migrations import upgrade


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


COMMANDS: list[click.Command] = []

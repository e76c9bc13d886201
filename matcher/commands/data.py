"""Schema and data commands: db upgrade, seed-demo."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from matcher.migrations import upgrade
from matcher.wording import plural


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@click.command("import-providers")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--verified", is_flag=True, help="Verify every imported provider at once.")
@with_appcontext
def import_providers_command(csv_file: str, verified: bool) -> None:
    """Import providers from a CSV file: all rows or, if any row is bad, none (exit 1).

    \b
    Optional price-list columns: application_fee, certificate_fee, annual_fee,
    travel_policy (included | estimate | at_cost), travel_estimate (needed for estimate),
    and, for consultants, packages: up to 5 non-overlapping bands MIN-MAX:PRICE separated
    by ';', a fixed fee (1-10:2500;11-50:4000) or typical days at the day rate
    (1-10:3d;11-50:5.5d); fees or days in one row, not both.
    """
    from matcher.db import transaction
    from matcher.models import utcnow
    from matcher.providers.importing import import_rows, parse_rows

    with transaction() as session, open(csv_file, newline="", encoding="utf-8-sig") as handle:
        rows, errors = parse_rows(session, handle, today=utcnow().date())
        if errors:
            session.rollback()
            for error in errors:
                click.echo(str(error), err=True)
            click.echo(f"{plural(len(errors), 'bad row')}: nothing imported.", err=True)
            sys.exit(1)
        created = import_rows(session, rows, verified=verified)
    as_verified = " as verified" if verified else ""
    click.echo(f"imported {plural(len(created), 'provider')}{as_verified}")


FORCE_FLAG = "--i-know-this-is-not-production"
NOT_IN_DEMO_MODE = (
    "seed-demo loads the demo's fictional providers and is meant for `certmatch demo`, which "
    "runs it. This is not demo mode (CERTMATCH_DEMO is unset), so nothing was written. On a "
    f"database that is not production, add {FORCE_FLAG}: it creates no admin and gives every "
    "account a random password, printed once."
)


@click.command("seed-demo")
@click.option(
    FORCE_FLAG,
    "forced",
    is_flag=True,
    help="Seed outside demo mode anyway: no admin, a random password for every account.",
)
@with_appcontext
def seed_demo_command(forced: bool) -> None:
    """Load the demo providers and requests: demo mode only (running it again adds nothing)."""
    from matcher.demo.data import seed_demo
    from matcher.demo.leads import demo_request_link

    demo = current_app.config["CERTMATCH_DEMO"]
    if not (demo or forced):
        click.echo(NOT_IN_DEMO_MODE, err=True)
        sys.exit(1)
    logins = seed_demo(current_app._get_current_object(), known_logins=demo)
    if not demo:
        click.echo(
            "the demo market was already loaded: nothing added, no passwords to show"
            if not logins
            else "random passwords, shown only this once (no admin was created):"
        )
    for role, email, password in logins:
        click.echo(f"{role} login: {email} / {password}")
    click.echo(f"demo business page (quotes to compare): {demo_request_link(current_app)}")


COMMANDS: list[click.Command] = [import_providers_command, seed_demo_command]

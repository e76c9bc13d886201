"""Account commands: create-admin."""

import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext

from matcher.accounts import create_user, find_user
from matcher.db import transaction
from matcher.models import Role
from matcher.passwords import password_problem


@click.command("create-admin")
@click.argument("email")
@with_appcontext
def create_admin_command(email: str) -> None:
    """Create an admin; the password is prompted, or read from stdin's first line."""
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise click.ClickException(f"{email!r} is not a valid e-mail address: {exc}") from exc
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password, [email])
    if problem:
        raise click.ClickException(f"password refused: {problem}")
    with transaction() as session:
        if find_user(session, email) is not None:
            raise click.ClickException(f"{email} already has an account")
        create_user(session, email=email, password=password, role=Role.ADMIN, email_confirmed=True)
    click.echo(f"admin {email} created")


COMMANDS: list[click.Command] = [create_admin_command]

"""Account commands: create-admin, reset-two-factor."""

import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext

from matcher.accounts import two_factor
from matcher.accounts.passwords import password_problem
from matcher.accounts.users import create_user, end_session, find_user
from matcher.db import transaction
from matcher.models import AuditLog, Role


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


@click.command("reset-two-factor")
@click.argument("email")
@with_appcontext
def reset_two_factor_command(email: str) -> None:
    """Switch off someone's two-factor sign-in (a lost phone), end their sessions, tell them."""
    with transaction() as session:
        user = find_user(session, email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        if not two_factor.is_enrolled(user):
            click.echo(f"{user.email} has no two-factor sign-in; nothing to reset")
            return
        two_factor.disable(session, user, by_admin=True)
        # Whoever holds the lost phone and a session cookie is logged out too.
        end_session(session, user)
        session.add(
            AuditLog(action="two_factor_reset", object_type="user", object_id=user.id, reason="CLI")
        )
        role_note = " (admins set it up again at their next login)" if user.is_admin else ""
    click.echo(f"two-factor sign-in reset for {user.email}{role_note}")


COMMANDS: list[click.Command] = [create_admin_command, reset_two_factor_command]

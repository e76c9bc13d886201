"""The demo market: fictional providers from a shipped CSV and, in the demo only, an admin."""

import secrets
from pathlib import Path

from flask import Flask
from sqlmodel import select

from matcher.accounts.passwords import password_problem
from matcher.accounts.users import create_user, find_user
from matcher.db import transaction
from matcher.demo.leads import seed_demo_leads
from matcher.models import Provider, Role, utcnow
from matcher.providers.importing import import_rows, parse_rows

DEMO_CSV = Path(__file__).parent.parent / "data" / "demo_providers.csv"
ADMIN_EMAIL = "admin@certmatch.example"
ADMIN_PASSWORD = "demo admin lantern crocus"
# Every demo provider shares this password (they are fictional; it is printed by `demo`).
PROVIDER_PASSWORD = "maple orbit canvas harbour"
DEMO_CB = "quotes@albionassurance.example"
DEMO_CONSULTANT = "hello@northgatequality.example"


class DemoDataError(RuntimeError):
    """The shipped demo file does not import (a bug in the file, not in the user's setup)."""


def seed_demo(app: Flask, *, known_logins: bool) -> list[tuple[str, str, str]]:
    """Load the demo market once; return the (role, e-mail, password) logins to print.

    known_logins is for demo mode alone: the demo admin and the published shared passwords.
    Without it no admin is made and every account gets a random password of its own, returned
    this one time (a second run adds nothing and returns no logins).
    """
    random_logins: list[tuple[str, str, str]] = []
    with app.app_context(), transaction() as session:
        if known_logins and find_user(session, ADMIN_EMAIL) is None:
            create_user(
                session,
                email=ADMIN_EMAIL,
                password=ADMIN_PASSWORD,
                role=Role.ADMIN,
                email_confirmed=True,
            )
        already = session.exec(select(Provider.id).where(Provider.email == DEMO_CB)).first()
        if already is None:
            with open(DEMO_CSV, newline="", encoding="utf-8") as handle:
                rows, errors = parse_rows(session, handle, today=utcnow().date())
            if errors:
                raise DemoDataError("; ".join(str(e) for e in errors))
            if not known_logins:
                for row in rows:
                    row.password = random_password(row.email)
                    role = row.provider["kind"].replace("_", " ")
                    random_logins.append((role, row.email, row.password))
            import_rows(session, rows, verified=False)
    seed_demo_leads(app, keep_open=(DEMO_CB, DEMO_CONSULTANT))
    if not known_logins:
        return random_logins
    return [
        ("admin", ADMIN_EMAIL, ADMIN_PASSWORD),
        ("certification body", DEMO_CB, PROVIDER_PASSWORD),
        ("consultant", DEMO_CONSULTANT, PROVIDER_PASSWORD),
    ]


def random_password(email: str) -> str:
    """A random password from `secrets` that the password policy accepts for this account."""
    while True:
        # 144 random bits as 24 URL-safe characters: no quoting needed when copied from a log.
        password = secrets.token_urlsafe(18)
        if password_problem(password, [email]) is None:
            return password

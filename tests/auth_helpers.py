"""Accounts and logins for tests: real users, real POSTs to /login with a scraped CSRF token."""

import re

from matcher.accounts import create_user
from matcher.models import Provider, Role, User

ADMIN_PASSWORD = "correct horse battery staple admin"
PROVIDER_PASSWORD = "violet trombone quarry seventy"

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def make_admin(
    session, email: str = "admin@certmatch.example", password: str = ADMIN_PASSWORD
) -> User:
    """Insert a confirmed admin account and return it."""
    session.commit()  # a stale SQLite read snapshot cannot write
    user = create_user(
        session, email=email, password=password, role=Role.ADMIN, email_confirmed=True
    )
    session.commit()
    session.refresh(user)
    return user


def make_provider_user(
    session, provider: Provider, email: str | None = None, password: str = PROVIDER_PASSWORD
) -> User:
    """Insert a confirmed login for a provider and return it."""
    session.commit()  # a stale SQLite read snapshot cannot write
    user = create_user(
        session,
        email=email or provider.email,
        password=password,
        role=Role.PROVIDER,
        provider_id=provider.id,
        email_confirmed=True,
    )
    session.commit()
    session.refresh(user)
    return user


def csrf_token(client, path: str) -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


def login(client, email: str, password: str):
    """Log in through the real form; return the POST's response (303 on success)."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def logout(client):
    """Log out through the real form (a POST with the CSRF token of any page)."""
    token = csrf_token(client, "/password/reset")
    return client.post("/logout", data={"csrf_token": token})


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST a form with a CSRF token scraped from `token_from` (default: the same path)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)

"""Accounts and logins for tests: real users, real POSTs to /login with a scraped CSRF token.

Admins get two-factor sign-in by default (the product requires it), and `login` answers the
code step with a code from the user's own secret, as a phone would.
"""

import re
import time

import pyotp
from sqlmodel import select

from matcher.accounts import two_factor
from matcher.accounts.users import create_user, find_user
from matcher.db import get_session
from matcher.models import OutboxMessage, Provider, Role, User

ADMIN_PASSWORD = "correct horse battery staple admin"
PROVIDER_PASSWORD = "violet trombone quarry seventy"

_TOTP_SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7]+)</code>')
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def make_admin(
    session,
    email: str = "admin@certmatch.example",
    password: str = ADMIN_PASSWORD,
    *,
    with_two_factor: bool = True,
) -> User:
    """Insert a confirmed admin account (with two-factor sign-in unless told) and return it."""
    session.commit()  # a stale SQLite read snapshot cannot write
    user = create_user(
        session, email=email, password=password, role=Role.ADMIN, email_confirmed=True
    )
    if with_two_factor:
        user.totp_secret = two_factor.seal(two_factor.new_secret())
    session.commit()
    session.refresh(user)
    return user


def enrol_two_factor(session, user: User) -> str:
    """Give an existing user two-factor sign-in directly; return the plain secret."""
    session.commit()
    secret = two_factor.new_secret()
    user.totp_secret = two_factor.seal(secret)
    user.totp_last_step = None
    session.add(user)
    session.commit()
    session.refresh(user)
    return secret


def code_at(secret: str, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset: that many 30-second steps away)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + offset)


def wrong_code(secret: str) -> str:
    """Six digits that no step of the current window accepts."""
    window = {code_at(secret, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def offered_totp_secret(client) -> str:
    """The secret the set-up page offers the logged-in user (what a phone would scan)."""
    match = _TOTP_SECRET.search(client.get("/account/two-factor").get_data(as_text=True))
    assert match, "no secret on the set-up page"
    return match.group(1)


def two_factor_state(session, email: str) -> tuple[str | None, int | None, str]:
    """The user's sealed secret, last accepted step and session nonce, read fresh."""
    session.commit()
    columns = (User.totp_secret, User.totp_last_step, User.session_nonce)
    return tuple(session.exec(select(*columns).where(User.email == email)).one())


def lock_state(session, email: str) -> tuple[int, object]:
    """The user's count of wrong codes in a row and when its code step opens again, read fresh."""
    session.commit()
    columns = (User.totp_failures, User.totp_locked_until)
    return tuple(session.exec(select(*columns).where(User.email == email)).one())


def owner_mails(session, email: str) -> list[tuple[str, str]]:
    """(template, plain text) of every outbox mail to `email`, oldest first, read fresh."""
    session.commit()
    query = (
        select(OutboxMessage.template, OutboxMessage.body_text)
        .where(OutboxMessage.to_email == email)
        .order_by(OutboxMessage.id)
    )
    return [tuple(row) for row in session.exec(query).all()]


def unused_code(app, email: str) -> str:
    """A code for the user's secret that the server has not accepted yet (as a phone would)."""
    while True:
        with app.app_context():
            user = find_user(get_session(), email)
            secret, last = two_factor.unseal(user.totp_secret), user.totp_last_step
        totp = pyotp.TOTP(secret)
        now = totp.timecode(time.time())
        # The window accepts one step ahead: two sign-ins within 30 seconds need no wait.
        for step in (now, now + 1):
            if last is None or step > last:
                return totp.generate_otp(step)
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)


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


def login(client, email: str, password: str, *, second_step: bool = True):
    """Log in through the real forms, the code step included; return the last POST's response.

    303 on success. With second_step=False, stop at the code step (a 303 to it).
    """
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    if second_step and response.headers.get("Location", "").endswith("/login/two-factor"):
        return enter_code(client, unused_code(client.application, email))
    return response


def enter_code(client, code: str):
    """Answer the code step of a half-done login."""
    token = csrf_token(client, "/login/two-factor")
    return client.post("/login/two-factor", data={"code": code, "csrf_token": token})


def logout(client):
    """Log out through the real form (a POST with the CSRF token of any page)."""
    token = csrf_token(client, "/password/reset")
    return client.post("/logout", data={"csrf_token": token})


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST a form with a CSRF token scraped from `token_from` (default: the same path)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)

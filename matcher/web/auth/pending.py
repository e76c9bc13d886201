"""Half-done sign-ins and set-ups, kept in the signed session cookie until a code completes them."""

import hmac
import time

from flask import session as cookie
from sqlmodel import Session

from matcher.accounts import two_factor
from matcher.accounts.users import password_fingerprint
from matcher.models import User

LOGIN_KEY = "two_factor_login"
ENROLMENT_KEY = "two_factor_enrolment"
# Long enough to unlock a phone and type a code; short enough that a forgotten tab goes cold.
LOGIN_MAX_AGE = 5 * 60


def begin_login(user: User, next_url: str | None) -> None:
    """Remember that `user` gave the right password; they are not logged in yet."""
    cookie[LOGIN_KEY] = {
        "u": user.id,
        "at": int(time.time()),
        "f": password_fingerprint(user),
        "next": next_url,
    }


def pending_user_id() -> int | None:
    """The id of the user half-way through signing in, while that state is fresh."""
    state = cookie.get(LOGIN_KEY)
    if not isinstance(state, dict) or not isinstance(state.get("u"), int):
        return None
    if not isinstance(state.get("at"), int) or time.time() - state["at"] > LOGIN_MAX_AGE:
        return None
    return state["u"]


def pending_user(session: Session) -> User | None:
    """The user half-way through signing in; None when expired or the password changed since."""
    user_id = pending_user_id()
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not two_factor.is_enrolled(user):
        return None
    if not hmac.compare_digest(str(cookie[LOGIN_KEY].get("f")), password_fingerprint(user)):
        return None
    return user


def finish_login() -> str | None:
    """Forget the half-done sign-in; return where the user wanted to go."""
    state = cookie.pop(LOGIN_KEY, None)
    return state.get("next") if isinstance(state, dict) else None


def enrolment_secret(user: User) -> str:
    """The secret offered to `user` on the set-up page: the same one until it is confirmed."""
    owner, _, secret = (two_factor.unseal(cookie.get(ENROLMENT_KEY)) or "").partition(":")
    # Bound to the user: on a shared browser the next account never inherits the offer.
    if owner != str(user.id) or not secret:
        secret = two_factor.new_secret()
        # Sealed: the session cookie is signed, not encrypted.
        cookie[ENROLMENT_KEY] = two_factor.seal(f"{user.id}:{secret}")
    return secret


def forget() -> None:
    """Drop every half-done sign-in and set-up (at logout and once a set-up is done)."""
    cookie.pop(LOGIN_KEY, None)
    cookie.pop(ENROLMENT_KEY, None)

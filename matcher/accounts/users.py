"""Accounts: creating users, checking passwords, session nonces and single-use mail links."""

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, func, select

from matcher.accounts import two_factor
from matcher.accounts.passwords import hash_password, needs_rehash, verify_password
from matcher.links import absolute_url
from matcher.models import Provider, Role, User, utcnow
from matcher.outbox import queue_mail

RESET_SALT = "certmatch.password-reset"
CONFIRM_SALT = "certmatch.confirm-email"
RESET_MAX_AGE = 3600
RESET_MAIL_EVERY_SECONDS = 15 * 60
INVITATION_MAX_AGE = 14 * 24 * 3600
CONFIRM_MAX_AGE = 3 * 24 * 3600


def normalise_email(email: str) -> str:
    """Compare e-mail addresses case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def new_nonce() -> str:
    """A fresh session nonce."""
    return secrets.token_hex(16)


def find_user(session: Session, email: str) -> User | None:
    """The user with this e-mail address, if any."""
    wanted = normalise_email(email)
    return session.exec(select(User).where(func.lower(User.email) == wanted)).first()


def create_user(
    session: Session,
    *,
    email: str,
    role: Role,
    password: str | None = None,
    provider_id: int | None = None,
    email_confirmed: bool = False,
) -> User:
    """Insert a user; flush, never commit."""
    user = User(
        email=normalise_email(email),
        role=role,
        password_hash=hash_password(password) if password else None,
        provider_id=provider_id,
        session_nonce=new_nonce(),
        email_confirmed_at=utcnow() if email_confirmed else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user when the password matches; unknown e-mails cost the same time."""
    user = find_user(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(session: Session, user: User) -> None:
    """Rotate the nonce at login, so every older session cookie stops working."""
    user.session_nonce = new_nonce()
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()


def end_session(session: Session, user: User) -> None:
    """Rotate the nonce at logout."""
    user.session_nonce = new_nonce()
    session.add(user)
    session.flush()


def user_for_session_id(session: Session, session_id: str) -> User | None:
    """Load the user a "<id>:<nonce>" session identity names, if the nonce is still current."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_nonce, nonce):
        return None
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Store a new password; it also ends every session and kills outstanding reset links."""
    user.password_hash = hash_password(password)
    user.session_nonce = new_nonce()
    # Only a password holder can guess codes, and the new password just cut any guesser off:
    # the owner who followed the lock mail's advice must not stay locked out.
    two_factor.forget_wrong_codes(user)
    # The link that got here came by mail: the address works.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    session.add(user)
    session.flush()


# ---------------------------------------------------------------- mail links


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_fingerprint(user: User) -> str:
    """A short digest that changes with the password (reset links, half-done sign-ins)."""
    # Changes as soon as the password does, which makes a reset link single-use.
    material = f"{user.id}:{user.password_hash or ''}".encode()
    return hashlib.sha256(material).hexdigest()[:20]


def identity_words(session: Session, user: User) -> list[str]:
    """What an attacker may know of an account, for the password rules: e-mail, provider name."""
    provider = session.get(Provider, user.provider_id) if user.provider_id else None
    return [user.email, *([provider.name] if provider else [])]


def reset_token(user: User, *, invitation: bool = False) -> str:
    """A signed link token that works until the password changes or it expires."""
    payload = {"u": user.id, "f": password_fingerprint(user), "i": int(invitation)}
    return _serializer(RESET_SALT).dumps(payload)


def user_for_reset_token(session: Session, token: str) -> User | None:
    """The user a reset token was made for, or None when it is forged, used or too old."""
    if len(token) > 300:
        return None
    try:
        data, signed_at = _serializer(RESET_SALT).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    max_age = INVITATION_MAX_AGE if data.get("i") else RESET_MAX_AGE
    if (utcnow() - signed_at).total_seconds() > max_age:
        return None
    user = session.get(User, data["u"])
    if user is None or not hmac.compare_digest(str(data.get("f")), password_fingerprint(user)):
        return None
    return user


def reset_url(user: User, *, invitation: bool = False) -> str:
    """The absolute password-set link for a mail."""
    # A literal path: invitations are also written by CLI commands, outside any request.
    return absolute_url(f"/password/reset/{reset_token(user, invitation=invitation)}")


def send_password_reset(session: Session, email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    user = find_user(session, email)
    if user is None:
        return
    # At most one reset mail per account in each quarter hour, however many people ask from
    # however many addresses: the page answers the same, and the last link still works.
    window = int(utcnow().timestamp()) // RESET_MAIL_EVERY_SECONDS
    queue_mail(
        session,
        template="account_password_reset",
        to=user.email,
        subject="Reset your CertMatch password",
        context={"link": reset_url(user), "minutes": RESET_MAX_AGE // 60},
        provider_id=user.provider_id,
        dedupe_key=f"password_reset:{user.id}:{window}",
    )


def send_invitation(session: Session, user: User, *, organisation: str) -> None:
    """Mail an imported provider a link to choose its password."""
    queue_mail(
        session,
        template="account_invitation",
        to=user.email,
        subject="Your CertMatch provider account is ready",
        context={
            "link": reset_url(user, invitation=True),
            "organisation": organisation,
            "days": INVITATION_MAX_AGE // 86400,
        },
        dedupe_key=f"invitation:{user.id}",
        provider_id=user.provider_id,
    )


def confirmation_token(user: User) -> str:
    """A signed token that proves the owner of `user.email` clicked the link."""
    return _serializer(CONFIRM_SALT).dumps({"u": user.id, "e": user.email})


def confirm_email(session: Session, token: str) -> User | None:
    """Mark the user's address confirmed; return the user, or None for a bad link."""
    if len(token) > 300:
        return None
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=CONFIRM_MAX_AGE)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("e"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.add(user)
        session.flush()
    return user

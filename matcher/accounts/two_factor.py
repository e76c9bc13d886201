"""Two-factor sign-in: TOTP secrets sealed at rest, codes that work once, the admin rule."""

import base64
import hmac
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup
from sqlalchemy import or_, update
from sqlmodel import Session

from matcher.accounts.two_factor_notices import tell_owner
from matcher.models import Role, User, utcnow

ISSUER = "CertMatch"
# RFC 6238 allows for clock drift; one step either side is what authenticator apps expect.
VALID_WINDOW = 1
REQUIRED = "required"
OPTIONAL = "optional"
SETTINGS = (REQUIRED, OPTIONAL)


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: a copy of the database alone opens nothing.
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"certmatch.totp-secret").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """A fresh random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32()


def seal(secret: str) -> str:
    """Encrypt a TOTP secret for storage (in the database or the session cookie)."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    """Decrypt a sealed secret; None when it is missing or was sealed under another key."""
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def is_enrolled(user: User) -> bool:
    """Whether the user signs in with a code as well as a password."""
    return bool(user.totp_secret)


def required_for(user: User) -> bool:
    """Whether the user may not use the console without two-factor sign-in (admins, by config)."""
    return user.role == Role.ADMIN and current_app.config["ADMIN_TWO_FACTOR"] == REQUIRED


def must_enrol(user: User) -> bool:
    """Whether the user must set up two-factor sign-in before going anywhere else."""
    return required_for(user) and not is_enrolled(user)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (attributes only: nothing the CSP blocks)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    # segno's own markup, built from our URI: nothing a user typed reaches it.
    return Markup(svg)


def matching_step(
    secret: str, code: str, *, after: int | None, now: float | None = None
) -> int | None:
    """The time step within the window whose code this is and that is newer than `after`."""
    # isdigit() alone passes other scripts' digits ("١٢٣٤٥٦"), which compare_digest refuses.
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(session: Session, user: User, step: int) -> bool:
    # A conditional UPDATE: two requests racing with one code cannot both win.
    result = session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        # Checked again here: a guess racing the wrong code that locked the step loses too.
        .where(or_(User.totp_locked_until.is_(None), User.totp_locked_until <= utcnow()))
        # A right code ends a run of wrong ones.
        .values(totp_last_step=step, totp_failures=0, totp_locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    forget_wrong_codes(user)
    return True


def accept_code(session: Session, user: User, code: str) -> bool:
    """Check a code against the user's secret and use it up; flush, never commit."""
    secret = unseal(user.totp_secret)
    if secret is None:
        return False
    step = matching_step(secret, normalise_code(code), after=user.totp_last_step)
    return step is not None and _claim_step(session, user, step)


def enable(session: Session, user: User, secret: str, code: str) -> bool:
    """Turn two-factor sign-in on once a code proves the app holds `secret`; flush only."""
    step = matching_step(secret, normalise_code(code), after=None)
    if step is None:
        return False
    user.totp_secret = seal(secret)
    # The code that confirmed the set-up cannot be replayed to sign in.
    user.totp_last_step = step
    forget_wrong_codes(user)
    session.add(user)
    session.flush()
    tell_owner(session, user, "two_factor_on")
    return True


def disable(session: Session, user: User, *, by_admin: bool = False) -> None:
    """Turn two-factor sign-in off (the caller checked password and code); flush only.

    `by_admin`: an admin reset it (a lost phone), which the owner's mail says.
    """
    user.totp_secret = None
    user.totp_last_step = None
    forget_wrong_codes(user)
    session.add(user)
    session.flush()
    tell_owner(session, user, "two_factor_reset" if by_admin else "two_factor_off")


def forget_wrong_codes(user: User) -> None:
    """Start the count of wrong codes again and lift any lock on the code step."""
    user.totp_failures = 0
    user.totp_locked_until = None


def normalise_code(code: str) -> str:
    """Drop the spaces and dashes apps show inside a code ("123 456")."""
    return "".join(ch for ch in (code or "") if ch not in " -\t")

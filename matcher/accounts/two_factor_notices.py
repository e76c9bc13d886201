"""Mail an account's owner whenever its two-factor sign-in changes or its code step locks.

Whoever enrols first with a stolen password locks the owner out; this mail is how the
owner finds out, so it goes out in the same transaction as the change itself.
"""

from datetime import datetime
from typing import Literal

from sqlmodel import Session

from matcher.links import absolute_url
from matcher.models import User
from matcher.outbox import queue_mail

Notice = Literal["two_factor_on", "two_factor_off", "two_factor_reset", "two_factor_locked"]

SUBJECTS: dict[str, str] = {
    "two_factor_on": "Two-factor sign-in is now on for your CertMatch account",
    "two_factor_off": "Two-factor sign-in is now off for your CertMatch account",
    "two_factor_reset": "Your CertMatch two-factor sign-in was reset",
    "two_factor_locked": "Wrong sign-in codes for your CertMatch account",
}


def tell_owner(
    session: Session, user: User, notice: Notice, *, locked_until: datetime | None = None
) -> None:
    """Queue the `notice` mail to the owner of `user`; flush, never commit."""
    queue_mail(
        session,
        template=notice,
        to=user.email,
        subject=SUBJECTS[notice],
        context={
            "email": user.email,
            "is_admin": user.is_admin,
            "reset_link": absolute_url("/password/reset"),
            "locked_until": locked_until.strftime("%Y-%m-%d %H:%M UTC") if locked_until else None,
        },
        provider_id=user.provider_id,
    )

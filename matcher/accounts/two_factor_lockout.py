"""The code step with a memory: wrong codes in a row lock it for longer and longer.

The count lives on the user row, so every web instance and a restart see the same number,
and only someone who already gave the right password can add to it.
"""

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from matcher.accounts import two_factor
from matcher.accounts.two_factor_notices import tell_owner
from matcher.models import User, utcnow

log = logging.getLogger(__name__)

# Five tries forgive typos and a drifting phone clock; after them, each wrong code shuts the
# step for longer, so guessing one of a million codes takes years instead of hours.
FREE_TRIES = 5
LOCK_MINUTES = (1, 5, 30, 120, 720, 1440)


class CodeCheck(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    UNREADABLE = "unreadable"


def lock_for(failures: int) -> timedelta | None:
    """How long the code step stays shut after `failures` wrong codes in a row."""
    if failures < FREE_TRIES:
        return None
    return timedelta(minutes=LOCK_MINUTES[min(failures - FREE_TRIES, len(LOCK_MINUTES) - 1)])


def locked_until(user: User, *, now: datetime | None = None) -> datetime | None:
    """When the code step opens again for `user`; None while it is open."""
    until = user.totp_locked_until
    return until if until is not None and until > (now or utcnow()) else None


def secret_unreadable(user: User) -> bool:
    """Whether `user` is enrolled but its secret no longer opens; logs a warning when so.

    That happens after SECRET_KEY changed: every code would look wrong, forever, until an
    admin resets the user's two-factor sign-in.
    """
    if not two_factor.is_enrolled(user) or two_factor.unseal(user.totp_secret) is not None:
        return False
    # The user id only: the address is personal data and the log is read by more people.
    log.warning("two-factor secret of user %s cannot be unsealed: SECRET_KEY changed?", user.id)
    return True


def check_code(session: Session, user: User, code: str) -> CodeCheck:
    """Check a code for `user`'s stored secret, counting wrong ones; flush, never commit."""
    if secret_unreadable(user):
        return CodeCheck.UNREADABLE
    if locked_until(user) is not None:
        return CodeCheck.LOCKED
    if two_factor.accept_code(session, user, code):
        return CodeCheck.ACCEPTED
    _count_wrong_code(session, user)
    return CodeCheck.LOCKED if locked_until(user) is not None else CodeCheck.WRONG


def _count_wrong_code(session: Session, user: User) -> None:
    # Incremented in SQL, not from the loaded value: parallel guesses each count. Read back in
    # the same transaction, which now holds the row (PostgreSQL) or the write lock (SQLite);
    # not UPDATE ... RETURNING, which SQLite before 3.35 lacks.
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(totp_failures=User.totp_failures + 1)
        .execution_options(synchronize_session=False)
    )
    failures = session.execute(select(User.totp_failures).where(User.id == user.id)).scalar_one()
    set_committed_value(user, "totp_failures", failures)
    delay = lock_for(failures)
    if delay is None:
        return
    until = utcnow() + delay
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(totp_locked_until=until)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "totp_locked_until", until)
    if failures == FREE_TRIES:  # once per run of wrong codes, not at every later lock
        tell_owner(session, user, "two_factor_locked", locked_until=until)

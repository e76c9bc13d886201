"""Load the logged-in user from the session cookie's "<id>:<nonce>" identity."""

from matcher.accounts.users import user_for_session_id
from matcher.db import get_session


def load_user(session_id: str):
    """Return the user for a session cookie, or None when the nonce has been rotated."""
    return user_for_session_id(get_session(), session_id)

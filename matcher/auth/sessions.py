"""Load the logged-in user from the session (filled in by the accounts work, issue 3)."""


def load_user(user_id: str):
    """Return the user for a session cookie, or None."""
    return None

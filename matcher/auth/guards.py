"""Access checks for provider and admin views."""

import functools
from collections.abc import Callable

from flask import abort
from flask_login import current_user, login_required

from matcher.models import Role


def admin_required(view: Callable) -> Callable:
    """Let only logged-in admins through: anonymous -> login, anyone else -> 403."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def provider_required(view: Callable) -> Callable:
    """Let only logged-in provider users through: anonymous -> login, admins -> 403."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.PROVIDER or current_user.provider_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper

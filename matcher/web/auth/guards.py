"""Access checks for provider and admin views."""

import functools
from collections.abc import Callable

from flask import abort, flash, g, redirect, url_for
from flask_login import current_user, login_required

from matcher.accounts import two_factor
from matcher.db import get_session
from matcher.models import Provider, ProviderStatus, Role


def admin_required(view: Callable) -> Callable:
    """Let only logged-in admins through: anonymous -> login, anyone else -> 403.

    While two-factor sign-in is required, an admin without it is sent to set it up first.
    """

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            abort(403)
        if two_factor.must_enrol(current_user):
            flash("Admins need two-factor sign-in: set it up to use the console.", "error")
            return redirect(url_for("auth.two_factor_setup"), code=303)
        return view(*args, **kwargs)

    return wrapper


def current_provider() -> Provider:
    """The provider the logged-in user works for (call only behind a provider guard)."""
    if "current_provider" not in g:
        provider = get_session().get(Provider, current_user.provider_id)
        if provider is None:
            abort(403)
        g.current_provider = provider
    return g.current_provider


def provider_account_required(view: Callable) -> Callable:
    """Any provider user, whatever the provider's status (the review page, evidence uploads)."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.PROVIDER or current_user.provider_id is None:
            abort(403)
        current_provider()
        return view(*args, **kwargs)

    return wrapper


def provider_required(view: Callable) -> Callable:
    """Let only users of a verified provider through: anonymous -> login, admins -> 403.

    A provider that is pending, rejected or suspended is sent to its status page: no provider
    ever sees a lead before an admin has checked it.
    """

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.PROVIDER or current_user.provider_id is None:
            abort(403)
        if current_provider().status != ProviderStatus.VERIFIED:
            return redirect(url_for("provider.review"), code=303)
        return view(*args, **kwargs)

    return wrapper

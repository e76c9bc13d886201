"""Provider and admin accounts: login, two-factor sign-in, logout, password reset."""

from flask import Blueprint, Flask

from matcher.extensions import login_manager

bp = Blueprint("auth", __name__)


def init_login(app: Flask) -> None:
    """Bind Flask-Login and tell it how to load a user from the session."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from matcher.web.auth import sessions

    login_manager.user_loader(sessions.load_user)


from matcher.web.auth import routes, two_factor_routes  # noqa: E402,F401

"""Login, logout and password reset: thin views over matcher.accounts.users."""

import hashlib
import hmac
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from matcher.accounts import two_factor, users
from matcher.db import get_session
from matcher.extensions import limiter
from matcher.models import Role
from matcher.web.auth import bp, pending
from matcher.web.auth.forms import LoginForm, NewPasswordForm, ResetRequestForm

ACCOUNT_LIMITED = (
    "Too many sign-in attempts for this account in a short time. Please wait a while and "
    "try again, or reset your password."
)


def login_limit() -> str:
    """The configured limit for login, join and reset POSTs."""
    return current_app.config["RATE_LIMIT_LOGIN"]


def account_limit() -> str:
    """The configured limit for login and code-step POSTs per account, from any address."""
    return current_app.config["RATE_LIMIT_LOGIN_ACCOUNT"]


def _submitted_account() -> str:
    """The account a login POST names, as a keyed hash: the limiter logs and stores its key."""
    email = users.normalise_email(request.form.get("email") or "")
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, email.encode(), hashlib.sha256).hexdigest()
    return f"login-account:{digest[:32]}"


def _no_account_submitted() -> bool:
    return not (request.form.get("email") or "").strip()


def home_for(user) -> str:
    """Where a user lands after logging in."""
    if two_factor.must_enrol(user):
        return url_for("auth.two_factor_setup")
    return url_for("admin.dashboard") if user.role == Role.ADMIN else url_for("provider.inbox")


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site; None for anything a browser could take elsewhere."""
    if not target or "\\" in target:
        return None
    # Browsers drop tabs and newlines from URLs and Werkzeug keeps a tab in Location:
    # "/\t/evil.example" arrives as "//evil.example". Spaces, controls and invisible
    # format characters have no business in a link of ours.
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return None if parts.path.startswith("//") else target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
# Per account too, known or not (the same answer for both): one address guessed from many IPs.
@limiter.limit(
    account_limit,
    methods=["POST"],
    key_func=_submitted_account,
    exempt_when=_no_account_submitted,
    error_message=ACCOUNT_LIMITED,
)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user), code=303)
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    session = get_session()
    user = users.authenticate(session, form.email.data, form.password.data)
    if user is None:
        # One message for an unknown e-mail and a wrong password: no account probing.
        form.password.errors.append("Wrong e-mail or password.")
        return render_template("auth/login.html", form=form), 422
    if user.email_confirmed_at is None:
        form.email.errors.append(
            "Please confirm your e-mail address first: follow the link we sent you."
        )
        return render_template("auth/login.html", form=form), 422
    next_url = safe_next(request.args.get("next"))
    if two_factor.is_enrolled(user):
        session.commit()  # a rehashed password, if any
        pending.begin_login(user, next_url)
        return redirect(url_for("auth.login_two_factor"), code=303)
    return complete_login(user, next_url)


def complete_login(user, next_url: str | None):
    """Log the user in (a fresh session nonce) and send them on."""
    session = get_session()
    users.start_session(session, user)
    session.commit()
    login_user(user)
    if two_factor.must_enrol(user):
        next_url = None  # nowhere else to go before the set-up
    # Checked again: a half-done sign-in may have been started before this check existed.
    return redirect(safe_next(next_url) or home_for(user), code=303)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        session = get_session()
        users.end_session(session, current_user)
        session.commit()
    logout_user()
    pending.forget()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        session = get_session()
        users.send_password_reset(session, form.email.data)
        session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def reset_password(token: str):
    session = get_session()
    user = users.user_for_reset_token(session, token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm(user_inputs=users.identity_words(session, user))
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/reset_password.html", form=form, user=user), status
    users.set_password(session, user, form.password.data)
    session.commit()
    logout_user()
    flash("Your password is set. Please log in.", "success")
    return redirect(url_for("auth.login"), code=303)

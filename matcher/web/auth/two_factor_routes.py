"""Two-factor sign-in: the code step after the password, set-up and switching it off."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from matcher.accounts import two_factor, users
from matcher.accounts.passwords import verify_password
from matcher.accounts.two_factor_lockout import (
    CodeCheck,
    check_code,
    locked_until,
    secret_unreadable,
)
from matcher.db import get_session
from matcher.extensions import limiter
from matcher.web.auth import bp, pending
from matcher.web.auth.forms import DisableTwoFactorForm, TwoFactorCodeForm
from matcher.web.auth.routes import (
    ACCOUNT_LIMITED,
    account_limit,
    complete_login,
    home_for,
    login_limit,
)

WRONG_CODE = "That code is not right, or it was used already. Enter the code your app shows now."
UNREADABLE = (
    "Your two-factor set-up can no longer be read (the site's keys changed). "
    "Ask a CertMatch admin to reset it, then log in with your password and set it up again."
)


def _refusal(user, result: CodeCheck) -> str:
    """What to tell someone whose code was not accepted."""
    if result is CodeCheck.UNREADABLE:
        return UNREADABLE
    until = locked_until(user)
    if result is CodeCheck.LOCKED and until is not None:
        return (
            "Too many wrong codes: this account's code step is locked until "
            f"{until:%d %B %Y, %H:%M} UTC. Then enter the code your app shows."
        )
    return WRONG_CODE


def _pending_account() -> str:
    return f"two-factor-account:{pending.pending_user_id()}"


def _no_pending_account() -> bool:
    return pending.pending_user_id() is None


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
# Per account too: guessing one person's code from many addresses is still limited.
@limiter.limit(
    account_limit,
    methods=["POST"],
    key_func=_pending_account,
    exempt_when=_no_pending_account,
    error_message=ACCOUNT_LIMITED,
)
def login_two_factor():
    if current_user.is_authenticated:
        return redirect(home_for(current_user), code=303)
    session = get_session()
    user = pending.pending_user(session)
    if user is None:
        pending.forget()
        flash("Your sign-in timed out. Please enter your password again.", "error")
        return redirect(url_for("auth.login"), code=303)
    if secret_unreadable(user):
        # No code can ever match: say so rather than "wrong code" forever.
        return render_template("auth/two_factor_unreadable.html"), 409
    form = TwoFactorCodeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/two_factor_login.html", form=form), status
    result = check_code(session, user, form.code.data)
    if result is CodeCheck.ACCEPTED:
        return complete_login(user, pending.finish_login())
    session.commit()  # the count of wrong codes, a lock and its mail
    form.code.errors.append(_refusal(user, result))
    status = 429 if result is CodeCheck.LOCKED else 422
    return render_template("auth/two_factor_login.html", form=form), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user._get_current_object()  # the User itself: login_user() keeps it
    if two_factor.is_enrolled(user):
        return _setup_page(
            "auth/two_factor_on.html",
            form=DisableTwoFactorForm(),
            required=two_factor.required_for(user),
        )
    secret = pending.enrolment_secret(user)
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        session = get_session()
        if two_factor.enable(session, user, secret, form.code.data):
            # A new nonce: sessions opened elsewhere with the password alone end here.
            users.end_session(session, user)
            session.commit()
            login_user(user)
            pending.forget()
            flash("Two-factor sign-in is on: you will be asked for a code at login.", "success")
            return redirect(home_for(user), code=303)
        form.code.errors.append(
            "That code does not match. Check that your phone's clock is right "
            "and enter the code your app shows now."
        )
    uri = two_factor.provisioning_uri(user, secret)
    return _setup_page(
        "auth/two_factor_setup.html",
        status=422 if form.is_submitted() else 200,
        form=form,
        secret=secret,
        uri=uri,
        qr=two_factor.qr_svg(uri),
        required=two_factor.required_for(user),
    )


@bp.post("/account/two-factor/disable")
@limiter.limit(login_limit)
@login_required
def two_factor_disable():
    user = current_user._get_current_object()  # the User itself: login_user() keeps it
    if not two_factor.is_enrolled(user):
        return redirect(url_for("auth.two_factor_setup"), code=303)
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        session = get_session()
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append("That is not your password.")
        elif (result := check_code(session, user, form.code.data)) is not CodeCheck.ACCEPTED:
            session.commit()  # the count of wrong codes, a lock and its mail
            form.code.errors.append(_refusal(user, result))
        else:
            two_factor.disable(session, user)
            session.commit()
            flash(_off_message(user), "success")
            return redirect(url_for("auth.two_factor_setup"), code=303)
    return _setup_page(
        "auth/two_factor_on.html", status=422, form=form, required=two_factor.required_for(user)
    )


def _off_message(user) -> str:
    if two_factor.required_for(user):
        return "Two-factor sign-in is off. Admins need it: set it up again with your new phone."
    return "Two-factor sign-in is off: your password alone logs you in."


def _setup_page(template: str, *, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    # The page shows a secret: no cache, no back-button copy.
    response.headers["Cache-Control"] = "no-store"
    return response

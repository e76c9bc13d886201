"""Two-factor sign-in: the code step after the password, set-up and switching it off."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from matcher import accounts, two_factor
from matcher.auth import bp, pending
from matcher.auth.forms import DisableTwoFactorForm, TwoFactorCodeForm
from matcher.auth.routes import complete_login, home_for, login_limit
from matcher.db import get_session
from matcher.extensions import limiter
from matcher.passwords import verify_password

WRONG_CODE = "That code is not right, or it was used already. Enter the code your app shows now."


def _pending_account() -> str:
    return f"two-factor-account:{pending.pending_user_id()}"


def _no_pending_account() -> bool:
    return pending.pending_user_id() is None


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
# Per account too: guessing one person's code from many addresses is still limited.
@limiter.limit(
    login_limit, methods=["POST"], key_func=_pending_account, exempt_when=_no_pending_account
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
    form = TwoFactorCodeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/two_factor_login.html", form=form), status
    if not two_factor.accept_code(session, user, form.code.data):
        session.rollback()
        form.code.errors.append(WRONG_CODE)
        return render_template("auth/two_factor_login.html", form=form), 422
    next_url = pending.finish_login()
    return complete_login(user, next_url)


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
            accounts.end_session(session, user)
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
        elif not two_factor.accept_code(session, user, form.code.data):
            session.rollback()
            form.code.errors.append(WRONG_CODE)
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

"""Joining as a provider: the application form and the e-mail confirmation."""

from flask import flash, redirect, render_template, url_for

from matcher.accounts import users
from matcher.db import get_session
from matcher.extensions import limiter
from matcher.models import ProviderKind
from matcher.providers.joining import join_provider
from matcher.web.auth.routes import login_limit
from matcher.web.provider import bp
from matcher.web.provider.join_forms import JoinForm
from matcher.web.provider.profile_values import (
    body_choices,
    coverage,
    provider_fields,
    qualification,
)


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def join():
    session = get_session()
    form = JoinForm(bodies=body_choices(session))
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("provider/join.html", form=form), status
    is_cb = form.kind.data == ProviderKind.CERTIFICATION_BODY
    upload = form.evidence.data if getattr(form.evidence.data, "filename", None) else None
    evidence = None
    if upload is not None:
        kind = "accreditation_certificate" if is_cb else "insurance"
        evidence = (kind, upload.filename, upload.stream)
    join_provider(
        session,
        email=form.email.data,
        password=form.password.data,
        provider_fields={"kind": form.kind.data, **provider_fields(form, is_cb)},
        coverage=coverage(form, is_cb),
        qualification=qualification(form) if not is_cb else None,
        evidence=evidence,
    )
    session.commit()
    # The same page whether or not the address was new: no account probing.
    return redirect(url_for("provider.join_sent"), code=303)


@bp.get("/join/sent")
def join_sent():
    return render_template("provider/join_sent.html")


@bp.get("/join/confirm/<token>")
def confirm(token: str):
    session = get_session()
    user = users.confirm_email(session, token)
    if user is None:
        return render_template("provider/confirm_invalid.html"), 404
    session.commit()
    flash("Thank you: your e-mail address is confirmed. You can log in now.", "success")
    return redirect(url_for("auth.login"), code=303)

"""Thin views for the business: validate, act, redirect."""

from flask import abort, current_app, redirect, render_template, url_for

from matcher.businesses import quote_requests, retention
from matcher.businesses.quote_requests import RequestDetails
from matcher.db import get_session
from matcher.extensions import limiter
from matcher.iso.reference import (
    iaf_sectors,
)
from matcher.leads import invitations
from matcher.web.public import actions, bp
from matcher.web.public.forms import ConfirmForm, QuoteRequestForm, ResendLinksForm


@bp.get("/")
def landing():
    return render_template("public/landing.html")


def _quote_limit() -> str:
    return current_app.config["RATE_LIMIT_QUOTE"]


@bp.route("/quote", methods=["GET", "POST"])
@limiter.limit(_quote_limit, methods=["POST"])
def quote():
    form = QuoteRequestForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("public/quote.html", form=form), status
    if form.website.data:
        # A bot filled the honeypot: answer like a success, keep nothing.
        return redirect(url_for("public.thanks"), code=303)
    session = get_session()
    quote_requests.submit_request(session, _details(form))
    session.commit()
    return redirect(url_for("public.thanks"), code=303)


@bp.get("/quote/thanks")
def thanks():
    return render_template("public/thanks.html")


@bp.route("/r/<token>", methods=["GET", "POST"])
def request_page(token: str):
    session = get_session()
    quote_request = quote_requests.find_by_token(session, token)
    if quote_request is None:
        return missing_request_page(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            confirmed = quote_requests.confirm_request(session, quote_request)
        except quote_requests.RequestPurged:
            return missing_request_page(token)
        if confirmed:
            session.commit()
        return redirect(url_for("public.request_page", token=token), code=303)
    return render_request_page(quote_request, token, form=form)


def missing_request_page(token: str):
    """410 with an explanation for a purged request's link; 404 for any other unknown link."""
    purged = retention.purged_request_for_token(get_session(), token)
    if purged is None:
        abort(404)
    return render_template(
        "public/purged.html",
        days=retention.kept_days(purged),
        unconfirmed=purged.confirmed_at is None,
    ), 410


def render_request_page(quote_request, token: str, *, form=None, status: int = 200, **extra):
    """The request page, with its quotes side by side (extra: forms carrying errors)."""
    return render_template(
        "public/request.html",
        req=quote_request,
        form=form or ConfirmForm(formdata=None),
        token=token,
        sectors=iaf_sectors(),
        invitation=invitations.invitation_summary(get_session(), quote_request.id),
        **{**actions.page_context(get_session(), quote_request), **extra},
    ), status


@bp.route("/r/resend", methods=["GET", "POST"])
@limiter.limit(_quote_limit, methods=["POST"])
def resend():
    form = ResendLinksForm()
    if form.validate_on_submit():
        session = get_session()
        quote_requests.resend_links(session, form.email.data)
        session.commit()
        # The same answer whether or not the address has requests: no account probing.
        return render_template("public/resend_sent.html", email=form.email.data)
    return render_template("public/resend.html", form=form), 422 if form.is_submitted() else 200


def _details(form: QuoteRequestForm) -> RequestDetails:
    return RequestDetails(
        company_name=form.company_name.data,
        contact_name=form.contact_name.data,
        email=form.email.data,
        phone=form.phone.data or None,
        country=form.country.data,
        region=form.region.data or None,
        sector=int(form.sector.data),
        employees=form.employees.data,
        sites=form.sites.data or 1,
        standards=tuple(form.standards.data),
        service=form.service.data,
        certification_status=form.certification_status.data,
        timeline=form.timeline.data,
        current_consultant=form.current_consultant.data or None,
        previous_consultants=tuple(form.previous_consultants.data),
        budget=form.budget.data,
        notes=form.notes.data or None,
    )

"""Provider lead views: the inbox with its tabs, one lead, decline and quote.

Only a verified provider gets here (provider_required), and only its own offers exist for it:
another provider's lead is a 404, whether it is read, declined or quoted.
"""

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for

from matcher.businesses.briefs import build_brief
from matcher.businesses.state import OPEN_FOR_QUOTES, offer_for_provider, quote_for_offer
from matcher.db import get_session
from matcher.iso.audit_time import format_days
from matcher.leads import lifecycle
from matcher.models import LeadOffer, OfferStatus, Provider, QuoteRequest, QuoteStatus, utcnow
from matcher.quotes import answers
from matcher.quotes.errors import InvalidFigures, NotFound, QuoteError
from matcher.quotes.figures import days_check, total_of
from matcher.web.auth.guards import current_provider, provider_required
from matcher.web.provider import bp
from matcher.web.provider.lead_forms import DeclineForm, quote_form_for

DEFAULT_VALIDITY = timedelta(days=30)
DAY_FIELDS = ("stage1_days", "stage2_days", "surveillance_days", "recertification_days", "days")
PRICE_LIST_FIELDS = ("day_rate", "application_fee", "certificate_fee", "annual_fee")


@bp.get("/")
@provider_required
def inbox():
    tab = request.args.get("tab", "new")
    if tab not in lifecycle.TABS:
        tab = "new"
    leads, counts = lifecycle.inbox(get_session(), current_provider().id, tab, now=utcnow())
    return render_template(
        "provider/leads.html",
        provider=current_provider(),
        tab=tab,
        tabs=lifecycle.TABS,
        leads=leads,
        counts=counts,
        withdrawn=answers.WITHDRAWN,
    )


def _own_offer(offer_id: int) -> LeadOffer:
    offer = offer_for_provider(get_session(), offer_id, current_provider().id)
    if offer is None:
        abort(404)
    return offer


@bp.get("/leads/<int:offer_id>")
@provider_required
def lead(offer_id: int):
    offer = _own_offer(offer_id)
    return _render_lead(offer)


@bp.post("/leads/<int:offer_id>/quote")
@provider_required
def quote_lead(offer_id: int):
    offer = _own_offer(offer_id)
    provider = current_provider()
    form = quote_form_for(provider.kind)
    if not form.validate_on_submit():
        return _render_lead(offer, quote_form=form, status=422)
    session = get_session()
    try:
        answers.submit_quote(
            session,
            offer_id=offer.id,
            provider_id=provider.id,
            figures=form.figures(),
            now=utcnow(),
        )
    except NotFound:
        abort(404)
    except InvalidFigures as error:
        session.rollback()
        for name, message in error.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _render_lead(_reload(offer), quote_form=form, status=422)
    except QuoteError as error:
        # A refusal keeps only a lead taken back from a provider no longer vouched for.
        session.commit() if error.keeps_changes else session.rollback()
        return _render_lead(_reload(offer), refusal=error.message, status=409)
    session.commit()
    flash("Thank you: your firm quote is sent. We have told the business.", "success")
    return redirect(url_for("provider.lead", offer_id=offer.id), code=303)


@bp.post("/leads/<int:offer_id>/decline")
@provider_required
def decline_lead(offer_id: int):
    offer = _own_offer(offer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_lead(offer, decline_form=form, status=422)
    session = get_session()
    try:
        answers.decline_offer(
            session,
            offer_id=offer.id,
            provider_id=current_provider().id,
            reason=form.reason.data,
            note=form.note.data,
            now=utcnow(),
        )
    except NotFound:
        abort(404)
    except QuoteError as error:
        session.rollback()
        return _render_lead(_reload(offer), refusal=error.message, status=409)
    session.commit()
    flash("Lead declined. Thank you for answering quickly: it keeps your record high.", "success")
    return redirect(url_for("provider.inbox"), code=303)


def _reload(offer: LeadOffer) -> LeadOffer:
    return get_session().get(LeadOffer, offer.id)


def _render_lead(offer, *, quote_form=None, decline_form=None, refusal=None, status=200):
    session = get_session()
    provider = current_provider()
    now = utcnow()
    quote_request = session.get(QuoteRequest, offer.request_id)
    quote = quote_for_offer(session, offer.id)
    firm = quote is not None and quote.status != QuoteStatus.INDICATIVE
    can_answer = (
        offer.status == OfferStatus.OFFERED
        and offer.expires_at > now
        and quote_request.status in OPEN_FOR_QUOTES
    )
    if quote_form is None and can_answer:
        quote_form = quote_form_for(provider.kind, formdata=None)
        _prefill(quote_form, provider, quote)
    return render_template(
        "provider/lead.html",
        provider=provider,
        offer=offer,
        withdrawn=answers.WITHDRAWN,
        tab=lifecycle.inbox_tab(offer, now),
        brief=build_brief(quote_request),
        # The business's details only once it accepted this provider's quote.
        business=quote_request if offer.status == OfferStatus.WON else None,
        quote=quote,
        firm=firm,
        total=total_of(quote) if firm else None,
        check=days_check(session, quote, quote_request) if firm else None,
        left=lifecycle.time_left(offer.expires_at, now),
        can_answer=can_answer,
        quote_form=quote_form,
        decline_form=decline_form or DeclineForm(formdata=None),
        reasons=answers.DECLINE_REASONS,
        refusal=refusal,
        currency=quote_request.currency,
    ), status


def _prefill(form, provider: Provider, quote) -> None:
    """Open the form with the indicative figures, or else with the provider's price list."""
    form.valid_until.data = date.today() + DEFAULT_VALIDITY
    if quote is not None and quote.status == QuoteStatus.INDICATIVE:
        for name, field in form._fields.items():
            value = getattr(quote, name, None)
            if value is None or name in ("csrf_token", "valid_until"):
                continue
            field.data = format_days(value) if name in DAY_FIELDS else str(value)
        return
    if provider.kind == "certification_body":
        for name in PRICE_LIST_FIELDS:
            value = getattr(provider, name)
            form[name].data = str(value) if value is not None else ""
        form.travel.data = provider.travel_policy or ""
        if provider.travel_estimate is not None:
            form.travel_estimate.data = str(provider.travel_estimate)
    elif provider.day_rate is not None:
        form.fee_type.data = "daily"
        form.fee.data = str(provider.day_rate)

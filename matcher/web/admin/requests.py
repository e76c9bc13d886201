"""Admin views of requests and their matches: the queues, why each provider was chosen, re-run."""

from flask import abort, flash, redirect, render_template, request, url_for

from matcher import matching
from matcher.candidates.impartiality import kept_out_by_consultants
from matcher.db import get_session
from matcher.iso.reference import STANDARDS, iaf_sectors
from matcher.leads import offers
from matcher.models import QuoteRequest, RequestStatus
from matcher.web.admin import bp
from matcher.web.admin.queries import (
    PAGE_SIZE,
    match_runs,
    queue_sizes,
    request_offers,
    request_queue,
)
from matcher.web.auth.guards import admin_required
from matcher.web.bounds import page_arg
from matcher.web.forms import SafeForm
from matcher.wording import plural

QUEUES = {
    "unmatched": ("Unmatched: nobody fits", [RequestStatus.UNMATCHED]),
    "waiting": ("Confirmed, not matched yet", [RequestStatus.CONFIRMED]),
    "matched": ("Matched", [RequestStatus.MATCHED]),
    "all": ("All requests", None),
}
FILTER_LABELS = {
    "not_verified": "not verified, or suspended",
    "kind": "kind does not fit the service asked",
    "standards": "does not offer every requested standard",
    "sector": "sector not covered (scope or specialism)",
    "accreditation_body": "accreditation body suspended, or not recognised for a requested scheme",
    "accreditation_expired": "accreditation expired",
    "country": "does not serve the country",
    "employees": "headcount outside its range",
    "capacity": "at its monthly lead cap",
    "already_offered": "already offered this request",
    "impartiality": (
        "impartiality: affiliated with a provider involved or with the business's consultant"
    ),
}


class RematchForm(SafeForm):
    """The "re-run matching" button: CSRF only."""


@bp.get("/requests", endpoint="requests")
@admin_required
def request_list():
    queue = request.args.get("queue", "unmatched")
    if queue not in QUEUES:
        queue = "all"
    page = page_arg()
    session = get_session()
    rows, total = request_queue(session, QUEUES[queue][1], page)
    return render_template(
        "admin/requests.html",
        rows=rows,
        total=total,
        queue=queue,
        queues=QUEUES,
        sizes=queue_sizes(session),
        page=page,
        page_size=PAGE_SIZE,
        standards=STANDARDS,
    )


@bp.get("/requests/<int:request_id>", endpoint="request_detail")
@admin_required
def request_detail(request_id: int):
    session = get_session()
    quote_request = session.get(QuoteRequest, request_id)
    if quote_request is None:
        abort(404)
    return render_template(
        "admin/request.html",
        req=quote_request,
        offers=request_offers(session, request_id),
        runs=match_runs(session, request_id),
        kept_out=kept_out_by_consultants(session, quote_request),
        form=RematchForm(),
        filter_labels=FILTER_LABELS,
        weights=matching.WEIGHTS,
        standards=STANDARDS,
        sectors=iaf_sectors(),
    )


@bp.post("/requests/<int:request_id>/rematch", endpoint="request_rematch")
@admin_required
def request_rematch(request_id: int):
    session = get_session()
    if session.get(QuoteRequest, request_id) is None:
        abort(404)
    if not RematchForm().validate_on_submit():
        abort(400)
    outcome = offers.rematch_request(session, request_id, "admin")
    session.commit()
    if outcome.run is None:
        flash("This request is no longer open to matching.", "error")
    elif outcome.offers:
        flash(f"{plural(len(outcome.offers), 'new provider')} invited.", "success")
    else:
        flash("No new provider fits within the limits (three open, six in total).")
    return redirect(url_for("admin.request_detail", request_id=request_id), code=303)

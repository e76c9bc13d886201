"""Admin: the affiliations providers declared, who confirmed them, approve and remove."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.models import Provider
from matcher.providers import affiliation_lists, affiliations
from matcher.web.admin import bp
from matcher.web.admin.forms import EmptyForm, RemoveAffiliationForm
from matcher.web.auth.guards import admin_required
from matcher.web.bounds import page_arg


@bp.get("/affiliations")
@admin_required
def affiliation_list():
    waiting_only = request.args.get("show") != "all"
    page = page_arg()
    entries, total = affiliation_lists.listing(get_session(), waiting_only=waiting_only, page=page)
    return render_template(
        "admin/affiliations.html",
        entries=entries,
        total=total,
        page=page,
        page_size=affiliation_lists.PAGE_SIZE,
        waiting_only=waiting_only,
        approve_form=EmptyForm(formdata=None),
        remove_form=RemoveAffiliationForm(formdata=None),
    )


@bp.post("/providers/<int:provider_id>/affiliations/<int:other_id>/approve")
@admin_required
def approve_affiliation(provider_id: int, other_id: int):
    session = get_session()
    provider = _provider_or_404(provider_id)
    if not EmptyForm().validate_on_submit():
        flash("The form expired: try again.", "error")
    elif affiliations.approve_affiliation(session, provider, other_id, actor_id=current_user.id):
        session.commit()
        flash("Affiliation approved: it counts in matching from now on.", "success")
    else:
        session.rollback()
        flash("No declaration between these two waits for approval.", "error")
    return _back(provider_id)


@bp.post("/providers/<int:provider_id>/affiliations/<int:other_id>/remove")
@admin_required
def remove_affiliation(provider_id: int, other_id: int):
    session = get_session()
    provider = _provider_or_404(provider_id)
    form = RemoveAffiliationForm()
    if not form.validate_on_submit():
        flash("Give a reason to remove an affiliation.", "error")
    elif affiliations.remove_affiliation(
        session, provider, other_id, actor_id=current_user.id, reason=form.reason.data
    ):
        session.commit()
        flash("Affiliation removed.", "success")
    else:
        session.rollback()
        flash("There is no affiliation between these two.", "error")
    return _back(provider_id)


def _provider_or_404(provider_id: int) -> Provider:
    provider = get_session().get(Provider, provider_id)
    if provider is None:
        abort(404)
    return provider


def _back(provider_id: int):
    """Back to the list the admin came from, or to the provider's page."""
    if request.form.get("back") == "list":
        return redirect(url_for("admin.affiliation_list"), code=303)
    return redirect(url_for("admin.provider_detail", provider_id=provider_id), code=303)

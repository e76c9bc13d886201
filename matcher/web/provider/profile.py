"""A verified provider's profile: its fields, coverage, price list and affiliations."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.iso.reference import STANDARDS
from matcher.models import ProviderKind
from matcher.providers import affiliation_lists, profile_edits, profiles
from matcher.providers.reviewed_changes import REVIEWED_FIELDS, what_changes
from matcher.web.auth.guards import current_provider, provider_required
from matcher.web.provider import bp
from matcher.web.provider.account import evidence_list
from matcher.web.provider.affiliations import AnswerForm
from matcher.web.provider.evidence_forms import EvidenceForm
from matcher.web.provider.profile_forms import AffiliationForm, ProfileForm
from matcher.web.provider.profile_values import (
    body_choices,
    coverage,
    fill_bands,
    fill_profile_form,
    fill_qualifications,
    provider_fields,
)
from matcher.web.provider.qualification_forms import qualification_values


@bp.route("/profile", methods=["GET", "POST"])
@provider_required
def profile():
    session = get_session()
    provider = current_provider()
    is_cb = provider.kind == ProviderKind.CERTIFICATION_BODY
    form = ProfileForm(kind=provider.kind, bodies=body_choices(session))
    if not form.is_submitted():
        fill_profile_form(form, provider, profiles.coverage(session, provider))
        if not is_cb:
            fill_bands(form, profiles.packages_of(session, provider))
            fill_qualifications(form, profile_edits.qualification_rows(session, provider))
    elif form.validate_on_submit():
        fields = provider_fields(form, is_cb)
        reviewed = {name: fields.pop(name) for name in REVIEWED_FIELDS if name in fields}
        coverage_lists = coverage(form, is_cb)
        if is_cb:
            reviewed["scope"] = coverage_lists.pop("scope")
        fields["monthly_cap"] = form.monthly_cap.data
        parked = profile_edits.save_profile(
            session,
            provider,
            fields=fields,
            coverage_lists=coverage_lists,
            reviewed=reviewed,
            packages=None if is_cb else form.bands(),
            qualifications=None if is_cb else qualification_values(form),
            actor_id=current_user.id,
        )
        message = _saved_message(parked=parked, waiting=provider.pending_changes or {})
        session.commit()
        flash(message, "success")
        return redirect(url_for("provider.profile"), code=303)
    return render_template(
        "provider/profile.html",
        form=form,
        provider=provider,
        is_cb=is_cb,
        upload_form=EvidenceForm(),
        evidence=evidence_list(provider),
        standards=STANDARDS,
        affiliation_form=AffiliationForm(formdata=None),
        waiting=_waiting(provider.pending_changes or {}),
        name_hint="A new name is checked by an admin; businesses see the current one until then.",
        answer_form=AnswerForm(formdata=None),
        affiliated=affiliation_lists.of_provider(session, provider),
    ), 422 if form.is_submitted() else 200


# What still counts while each part of a proposal waits.
_UNTIL_REVIEWED = {
    "name": "businesses keep seeing your current name",
    "accreditation": "your current accreditation keeps working",
    "qualifications": "businesses see only the qualifications already checked",
}


def _waiting(pending: dict) -> tuple[str, str] | None:
    """What waits for an admin, and what counts until then."""
    if not pending:
        return None
    what = what_changes(pending)
    return what, ", and ".join(_UNTIL_REVIEWED[part] for part in what.split(" and "))


def _saved_message(*, parked: bool, waiting: dict) -> str:
    if not parked:
        return "Profile saved."
    what, until = _waiting(waiting)
    return f"Profile saved. The changes to your {what} wait for an admin; until then {until}."

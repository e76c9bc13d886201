"""A provider declares its affiliations, and confirms or disputes those declared about it."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.providers import affiliation_lists, affiliations
from matcher.providers.affiliations import Declared
from matcher.web.auth.guards import current_provider, provider_required
from matcher.web.forms import SafeForm
from matcher.web.provider import bp
from matcher.web.provider.profile_forms import AffiliationForm

BACK = "provider.profile"


class AnswerForm(SafeForm):
    """Confirm or dispute a declaration: only its CSRF token."""


@bp.post("/profile/affiliations")
@provider_required
def declare_affiliation():
    session = get_session()
    provider = current_provider()
    form = AffiliationForm()
    if form.validate_on_submit():
        try:
            other, outcome = affiliations.declare_by_email(
                session, provider, form.email.data, actor_id=current_user.id
            )
        except affiliations.AffiliationError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            session.commit()
            flash(_declared_message(other.name, outcome), "success")
            return _back()
    session.rollback()
    return render_template(
        "provider/affiliations_error.html",
        provider=provider,
        affiliation_form=form,
        answer_form=AnswerForm(formdata=None),
        affiliated=affiliation_lists.of_provider(session, provider),
    ), 422


def _declared_message(name: str, outcome: Declared) -> str:
    if outcome == Declared.WAITING:
        return (
            f"Affiliation with {name} recorded. We have told them: it counts once they confirm "
            "it or an admin approves it."
        )
    if outcome == Declared.IN_FORCE:
        return (
            f"Affiliation with {name} confirmed: you and they are never offered the same request."
        )
    return f"Your affiliation with {name} was already recorded."


@bp.post("/profile/affiliations/<int:declarer_id>/confirm")
@provider_required
def confirm_affiliation(declarer_id: int):
    return _answer(affiliations.confirm, declarer_id, "confirmed: it counts from now on.")


@bp.post("/profile/affiliations/<int:declarer_id>/dispute")
@provider_required
def dispute_affiliation(declarer_id: int):
    return _answer(
        affiliations.dispute,
        declarer_id,
        "marked as not true. It has no effect; an admin will look at it.",
    )


def _answer(decide, declarer_id: int, done: str):
    session = get_session()
    if not AnswerForm().validate_on_submit():
        flash("The form expired: try again.", "error")
        return _back()
    try:
        declarer = decide(session, current_provider(), declarer_id, actor_id=current_user.id)
    except affiliations.AffiliationError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _back()
    session.commit()
    flash(f"The affiliation declared by {declarer.name} is {done}", "success")
    return _back()


def _back():
    return redirect(url_for(BACK) + "#affiliations", code=303)

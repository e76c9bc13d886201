"""Admin: the accreditation bodies, added, suspended and restored, and confirmed or rejected
scheme by scheme, each with an audit row."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.iso.schemes import CONFIDENCE_WORDS, CONFIRMED, SCHEMES
from matcher.models import AccreditationBody, AuditLog, utcnow
from matcher.providers import accreditation, recognition
from matcher.vetting import body_recognition, scheme_recognition
from matcher.web.admin import bp
from matcher.web.admin.forms import BodyForm, BodyStatusForm, SchemeDecisionForm
from matcher.web.auth.guards import admin_required
from matcher.wording import plural


@bp.route("/bodies", methods=["GET", "POST"])
@admin_required
def bodies():
    session = get_session()
    form = BodyForm()
    status = 200
    if accreditation.seed_if_empty(session):
        session.commit()
    if form.validate_on_submit():
        if accreditation.find_body(session, form.acronym.data):
            form.acronym.errors.append("A body with this acronym already exists.")
            status = 422
        else:
            body = AccreditationBody(
                acronym=form.acronym.data, name=form.name.data, country=form.country.data or None
            )
            session.add(body)
            session.flush()
            recognition.ensure_scheme_rows(session)
            _audit_body(session, body, "add_body")
            session.commit()
            flash(
                f"{body.acronym} added. It counts once you confirm a scheme it signs for.",
                "success",
            )
            return redirect(url_for("admin.bodies"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/bodies.html",
        form=form,
        bodies=accreditation.all_bodies(session),
        status_form=BodyStatusForm(),
        schemes=recognition.scheme_rows(session),
        scheme_names=SCHEMES,
        confidence_words=CONFIDENCE_WORDS,
        scheme_form=SchemeDecisionForm(),
    ), status


@bp.post("/bodies/<int:body_id>/schemes/<scheme>")
@admin_required
def body_scheme(body_id: int, scheme: str):
    session = get_session()
    form = SchemeDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = scheme_recognition.decide_scheme(
        session, body_id, scheme, status=form.status.data, actor_id=current_user.id, now=utcnow()
    )
    if outcome is None:
        abort(404)
    back = url_for("admin.bodies", _anchor=f"body-{body_id}")
    if not outcome.changed:
        # A double click, or another admin first: nothing happened, so nothing is logged.
        session.rollback()
        return redirect(back, code=303)
    session.commit()
    what = f"{outcome.body.acronym}, {SCHEMES[scheme]}"
    if outcome.row.status == CONFIRMED:
        message = f"{what}: confirmed. Its CBs can be offered these requests now."
    else:
        message = f"{what}: rejected. Its CBs are no longer offered these requests."
        if outcome.withdrawn:
            message += f" {plural(outcome.withdrawn, 'open lead')} withdrawn and re-matched."
    flash(message, "success")
    return redirect(back, code=303)


@bp.post("/bodies/<int:body_id>/status")
@admin_required
def body_status(body_id: int):
    session = get_session()
    form = BodyStatusForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = body_recognition.set_body_suspended(
        session,
        body_id,
        suspended=form.suspended.data == "1",
        actor_id=current_user.id,
        now=utcnow(),
    )
    if outcome is None:
        abort(404)
    body = outcome.body
    if not outcome.changed:
        # A double click, or another admin first: nothing happened, so nothing is logged.
        session.rollback()
        return redirect(url_for("admin.bodies"), code=303)
    session.commit()
    if body.suspended:
        message = f"{body.acronym} is suspended; its CBs' open leads were withdrawn and re-matched."
    elif body.recognised:
        message = f"{body.acronym} is recognised again."
    else:
        message = f"{body.acronym} is no longer suspended, but it is still not recognised."
    flash(message, "success")
    return redirect(url_for("admin.bodies"), code=303)


def _audit_body(session, body: AccreditationBody, action: str) -> None:
    session.add(
        AuditLog(
            actor_id=current_user.id,
            action=action,
            object_type="accreditation_body",
            object_id=body.id,
        )
    )
    session.flush()

"""Admin console: the dashboard, providers by status, decisions, changes to review, evidence."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.iso.reference import STANDARDS, countries, iaf_sectors
from matcher.models import (
    AccreditationBody,
    OutboxStatus,
    Provider,
    utcnow,
)
from matcher.providers import accreditation, affiliation_lists, audit_log, evidence, recognition
from matcher.providers import profiles as providers
from matcher.providers.evidence import EVIDENCE_KINDS
from matcher.vetting import change_review
from matcher.vetting import decisions as provider_decisions
from matcher.web.admin import bp, queries
from matcher.web.admin.forms import (
    DECISION_LABELS,
    ChangesForm,
    DecisionForm,
    EmptyForm,
    ProviderFilterForm,
    RemoveAffiliationForm,
)
from matcher.web.auth.guards import admin_required
from matcher.web.bounds import page_arg
from matcher.web.forms import choice_list


@bp.get("/")
@admin_required
def dashboard():
    session = get_session()
    mail = queries.mail_counts(session)
    return render_template(
        "admin/dashboard.html",
        counts=queries.status_counts(session),
        pending_changes=queries.pending_change_count(session),
        waiting_affiliations=affiliation_lists.waiting_count(session),
        failed_mail=mail.get(OutboxStatus.FAILED, 0),
        pending_mail=mail.get(OutboxStatus.PENDING, 0),
    )


@bp.get("/providers", endpoint="providers")
@admin_required
def provider_list():
    form = ProviderFilterForm(request.args)
    form.standard.choices = choice_list([("", "Any standard"), *STANDARDS.items()])
    filters = {"q": "", "status": "", "kind": "", "country": "", "standard": ""}
    if form.validate():
        filters = {name: form[name].data or "" for name in filters}
    page = page_arg()
    rows, total = queries.search_providers(get_session(), page=page, **filters)
    return render_template(
        "admin/providers.html",
        form=form,
        providers=rows,
        total=total,
        page=page,
        page_size=queries.PAGE_SIZE,
        filters=filters,
    )


@bp.get("/providers/<int:provider_id>")
@admin_required
def provider_detail(provider_id: int):
    return _render_detail(_provider_or_404(provider_id))


def _render_detail(provider: Provider, *, decision_form=None, changes_form=None, status=200):
    session = get_session()
    body = queries.body_of(session, provider)
    pending_body = None
    if provider.pending_changes and provider.pending_changes.get("accreditation_body_id"):
        pending_body = session.get(
            AccreditationBody, provider.pending_changes["accreditation_body_id"]
        )
    return render_template(
        "admin/provider.html",
        provider=provider,
        coverage=providers.coverage(session, provider),
        affiliations=affiliation_lists.of_provider(session, provider),
        qualifications=providers.qualifications(session, provider),
        account=providers.account_for(session, provider),
        evidence=queries.evidence_of(session, provider),
        evidence_kinds=EVIDENCE_KINDS,
        body=body,
        body_usable=accreditation.body_is_usable(body),
        body_standards=recognition.recognised_standards(session, [body.id]).get(body.id)
        if body
        else frozenset(),
        pending_body=pending_body,
        warnings=accreditation.expiry_warnings(provider, today=utcnow().date()),
        trail=audit_log.audit_trail(session, provider),
        actions=_allowed_actions(provider),
        decision_form=decision_form or DecisionForm(),
        remove_affiliation_form=RemoveAffiliationForm(formdata=None),
        approve_affiliation_form=EmptyForm(formdata=None),
        changes_form=changes_form or ChangesForm(),
        standards=STANDARDS,
        sectors=iaf_sectors(),
        country_names=countries(),
    ), status


def _allowed_actions(provider: Provider) -> list[tuple[str, str]]:
    return [
        (action, DECISION_LABELS[action])
        for action, (allowed, _) in provider_decisions.DECISIONS.items()
        if provider.status in allowed
    ]


@bp.post("/providers/<int:provider_id>/decision")
@admin_required
def decide(provider_id: int):
    provider = _provider_or_404(provider_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_detail(provider, decision_form=form, status=422)
    session = get_session()
    try:
        provider_decisions.decide(
            session,
            provider,
            action=form.action.data,
            reason=form.reason.data,
            actor_id=current_user.id,
        )
    except provider_decisions.DecisionError as exc:
        session.rollback()
        form.action.errors.append(str(exc))
        return _render_detail(provider, decision_form=form, status=409)
    session.commit()
    flash(f"{provider.name} is now {provider.status}. The provider has been told.", "success")
    return redirect(url_for("admin.provider_detail", provider_id=provider.id), code=303)


@bp.post("/providers/<int:provider_id>/changes")
@admin_required
def review_changes(provider_id: int):
    provider = _provider_or_404(provider_id)
    form = ChangesForm()
    if not form.validate_on_submit():
        return _render_detail(provider, changes_form=form, status=422)
    session = get_session()
    # The proposal the admin read: one replaced meanwhile, or none named, is not decided blind.
    seen = request.form.get("submitted_at", "")
    try:
        if form.action.data == "approve":
            change_review.apply_pending_changes(
                session, provider, actor_id=current_user.id, submitted_at=seen
            )
        else:
            change_review.discard_pending_changes(
                session,
                provider,
                reason=form.reason.data or "",
                actor_id=current_user.id,
                submitted_at=seen,
            )
    except provider_decisions.DecisionError as exc:
        session.rollback()
        form.reason.errors.append(str(exc))
        return _render_detail(provider, changes_form=form, status=409)
    session.commit()
    flash(
        "The changes are live. The provider has been told."
        if form.action.data == "approve"
        else "The changes are refused. The provider has been told why.",
        "success",
    )
    return redirect(url_for("admin.provider_detail", provider_id=provider.id), code=303)


@bp.get("/providers/<int:provider_id>/evidence/<int:evidence_id>")
@admin_required
def evidence_download(provider_id: int, evidence_id: int):
    return evidence.evidence_download(get_session(), provider_id, evidence_id)


def _provider_or_404(provider_id: int) -> Provider:
    provider = get_session().get(Provider, provider_id)
    if provider is None:
        abort(404)
    return provider

"""The provider account at any status: the review page and its evidence documents."""

from flask import flash, redirect, render_template, url_for

from matcher.db import get_session
from matcher.models import Provider, ProviderStatus
from matcher.providers import evidence
from matcher.providers.evidence import EVIDENCE_KINDS, store_evidence
from matcher.web.auth.guards import current_provider, provider_account_required
from matcher.web.provider import bp
from matcher.web.provider.evidence_forms import EvidenceForm


def evidence_list(provider: Provider) -> list[tuple]:
    """The provider's evidence files, newest first, each with its kind's label."""
    from matcher.web.admin.queries import evidence_of

    return [(e, EVIDENCE_KINDS.get(e.kind, e.kind)) for e in evidence_of(get_session(), provider)]


@bp.get("/review")
@provider_account_required
def review():
    provider = current_provider()
    return render_template(
        "provider/review.html",
        provider=provider,
        upload_form=EvidenceForm(),
        evidence=evidence_list(provider),
    )


@bp.post("/evidence")
@provider_account_required
def evidence_upload():
    provider = current_provider()
    form = EvidenceForm()
    if not form.validate_on_submit():
        return render_template("provider/evidence.html", upload_form=form, provider=provider), 422
    session = get_session()
    store_evidence(
        session,
        provider,
        kind=form.kind.data,
        filename=form.file.data.filename,
        stream=form.file.data.stream,
    )
    session.commit()
    flash("Thank you: the document is stored and an admin will look at it.", "success")
    target = "provider.profile" if provider.status == ProviderStatus.VERIFIED else "provider.review"
    return redirect(url_for(target), code=303)


@bp.get("/evidence/<int:evidence_id>")
@provider_account_required
def evidence_download(evidence_id: int):
    return evidence.evidence_download(get_session(), current_provider().id, evidence_id)

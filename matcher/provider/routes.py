"""Provider views: join, the status page, the inbox placeholder, profile and evidence."""

from flask import abort, render_template

from matcher.auth.guards import current_provider, provider_account_required, provider_required
from matcher.models import ProviderStatus
from matcher.provider import bp


@bp.get("/join")
def join():
    abort(404)


@bp.get("/")
@provider_required
def inbox():
    return render_template("provider/inbox.html", provider=current_provider())


@bp.get("/review")
@provider_account_required
def review():
    provider = current_provider()
    return render_template(
        "provider/review.html",
        provider=provider,
        verified=provider.status == ProviderStatus.VERIFIED,
    )


@bp.get("/profile")
@provider_required
def profile():
    abort(404)

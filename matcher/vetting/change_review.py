"""An admin's review of the changes a provider parked: approve or refuse, and tell it (flush only).

A CB's accreditation (body, number, expiry) and scope widenings, a verified provider's new name
(matcher/providers/reviewed_changes.py) and a verified consultant's new qualifications
(matcher/providers/qualification_review.py) wait in `Provider.pending_changes`, parked by
matcher/providers/profile_edits.py, until an admin decides on the admin provider page.
"""

from datetime import date
from typing import Any

from sqlmodel import Session, select

from matcher.links import absolute_url
from matcher.models import AccreditationBody, Provider, utcnow
from matcher.outbox import queue_mail
from matcher.providers import qualification_review
from matcher.providers.accreditation import body_is_usable
from matcher.providers.audit_log import audit
from matcher.providers.profiles import replace_coverage
from matcher.providers.reviewed_changes import NAME, PARKED_FIELDS, what_changes
from matcher.vetting.decisions import DecisionError, lock_provider


def apply_pending_changes(
    session: Session,
    provider: Provider,
    *,
    actor_id: int | None,
    submitted_at: str | None = None,
) -> None:
    """Make the reviewed changes live, with an audit row and a mail to the provider; flush only.

    `submitted_at` is the proposal the admin looked at: another one, or an empty value, is
    refused. None (callers holding no form) decides on whatever waits once the row is locked.
    """
    changes = _waiting(session, provider, submitted_at)
    _check_still_vouchable(session, changes)
    for name in PARKED_FIELDS:
        if name in changes:
            value = changes[name]
            if name == "accreditation_expires_on" and value:
                value = date.fromisoformat(value)
            setattr(provider, name, value)
    if "scope" in changes:
        replace_coverage(session, provider, scope=[tuple(p) for p in changes["scope"]])
    if "qualifications" in changes:
        qualification_review.add_rows(session, provider, changes["qualifications"])
    provider.pending_changes = None
    provider.updated_at = utcnow()
    session.add(provider)
    audit(session, action="approve_changes", provider=provider, reason=None, actor_id=actor_id)
    _tell_outcome(session, provider, changes, approved=True, reason=None)


def discard_pending_changes(
    session: Session,
    provider: Provider,
    *,
    reason: str,
    actor_id: int | None,
    submitted_at: str | None = None,
) -> None:
    """Refuse the changes waiting for review and tell the provider why; flush only."""
    changes = _waiting(session, provider, submitted_at)
    reason = reason.strip()
    if not reason:
        raise DecisionError("Give a reason to refuse: it is sent to the provider.")
    provider.pending_changes = None
    session.add(provider)
    audit(session, action="refuse_changes", provider=provider, reason=reason, actor_id=actor_id)
    _tell_outcome(session, provider, changes, approved=False, reason=reason)


def _waiting(session: Session, provider: Provider, submitted_at: str | None) -> dict[str, Any]:
    """Lock the provider, reload it as committed now, and return the proposal to decide on."""
    # Without the lock, a proposal the provider commits meanwhile would be wiped by
    # `pending_changes = None`, and two admins approving at once would add the rows twice.
    lock_provider(session, provider.id)
    changes = dict(provider.pending_changes or {})
    if not changes:
        raise DecisionError("There are no changes waiting for review.")
    if submitted_at is not None and submitted_at != changes.get("submitted_at"):
        # The provider sent another proposal while the admin was reading this one, or the
        # form did not say which one the admin read: nothing is decided blind.
        raise DecisionError("The provider changed its proposal since you opened it: check again.")
    return changes


def _check_still_vouchable(session: Session, changes: dict[str, Any]) -> None:
    """Refuse an accreditation that no longer counts: the CB would keep leads, unvouched for.

    The proposal was checked when it was sent; its body may have been suspended and its
    expiry date may have passed while it waited.
    """
    body_id = changes.get("accreditation_body_id")
    if body_id is not None:
        # FOR SHARE: a body suspension (FOR NO KEY UPDATE) waits, or is seen, never missed.
        body = session.exec(
            select(AccreditationBody)
            .where(AccreditationBody.id == body_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        ).first()
        if not body_is_usable(body):
            name = body.acronym if body is not None else "The proposed accreditation body"
            raise DecisionError(
                f"{name} no longer counts on CertMatch (suspended or not recognised since the "
                "change was proposed): approving it would leave this CB's accreditation "
                "unvouched for. Refuse the change with a reason, or restore the body first."
            )
    expires = changes.get("accreditation_expires_on")
    if expires and date.fromisoformat(expires) < utcnow().date():
        raise DecisionError(
            f"The proposed accreditation expiry date, {expires}, has passed since the change "
            "was proposed: refuse it and ask the CB for its renewed certificate."
        )


def _tell_outcome(
    session: Session,
    provider: Provider,
    changes: dict[str, Any],
    *,
    approved: bool,
    reason: str | None,
) -> None:
    """Mail the provider what became of the changes it sent for review."""
    outcome = "approved" if approved else "refused"
    what = what_changes(changes)
    queue_mail(
        session,
        template=f"provider_changes_{outcome}",
        to=provider.email,
        subject=f"Your {what} on CertMatch: {outcome}",
        context={
            "provider": provider,
            "what": what,
            "qualifications": [
                qualification_review.describe(row) for row in changes.get("qualifications", [])
            ],
            "submitted_on": (changes.get("submitted_at") or "")[:10],
            "new_name": changes.get(NAME),
            "reason": reason,
            "profile_link": absolute_url("/provider/profile"),
        },
        provider_id=provider.id,
    )

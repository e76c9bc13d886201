"""An admin's decisions on a provider: verify, reject, suspend, reinstate (flush only)."""

from sqlmodel import Session, select

from matcher.links import absolute_url
from matcher.models import Provider, ProviderStatus, utcnow
from matcher.outbox import queue_mail
from matcher.providers.audit_log import audit
from matcher.quotes.withdrawal import free_held_leads

# action -> (statuses it may start from, status it leads to)
DECISIONS: dict[str, tuple[tuple[ProviderStatus, ...], ProviderStatus]] = {
    "verify": ((ProviderStatus.PENDING, ProviderStatus.REJECTED), ProviderStatus.VERIFIED),
    "reject": ((ProviderStatus.PENDING,), ProviderStatus.REJECTED),
    "suspend": ((ProviderStatus.VERIFIED,), ProviderStatus.SUSPENDED),
    "reinstate": ((ProviderStatus.SUSPENDED,), ProviderStatus.VERIFIED),
}


class DecisionError(ValueError):
    """An admin decision that does not apply to the provider's current status."""


def decide(
    session: Session, provider: Provider, *, action: str, reason: str, actor_id: int | None
) -> None:
    """Apply verify/reject/suspend/reinstate with its reason, audit row and mail; flush only."""
    if action not in DECISIONS:
        raise DecisionError(f"Unknown action {action!r}.")
    allowed_from, new_status = DECISIONS[action]
    if provider.status not in allowed_from:
        raise DecisionError(f"A {provider.status} provider cannot be given '{action}'.")
    reason = reason.strip()
    if not reason:
        raise DecisionError("A reason is required.")
    withdrawn = 0
    if action == "suspend":
        # Before the status changes: the leads' requests are locked before the provider row.
        withdrawn = free_held_leads(session, [provider.id], now=utcnow())[provider.id]
    # The status above was read unlocked: a double click, another admin or the daily expiry
    # job may have decided first. Under the row lock (taken after the requests) it is current.
    lock_provider(session, provider.id)
    if provider.status not in allowed_from:
        raise DecisionError(
            f"{provider.name} became {provider.status} while you were deciding: nothing was "
            "changed, check the page again."
        )
    set_status(session, provider, status=new_status, reason=reason, actor_id=actor_id)
    audit(session, action=action, provider=provider, reason=reason, actor_id=actor_id)
    queue_mail(
        session,
        template=f"provider_{action}",
        to=provider.email,
        subject=DECISION_SUBJECTS[action],
        context={
            "provider": provider,
            "reason": reason,
            "login_link": absolute_url("/login"),
            "profile_link": absolute_url("/provider/profile"),
            "withdrawn_leads": withdrawn,
        },
        provider_id=provider.id,
    )


DECISION_SUBJECTS = {
    "verify": "Your CertMatch profile is verified",
    "reject": "Your CertMatch application was not accepted",
    "suspend": "Your CertMatch profile is suspended",
    "reinstate": "Your CertMatch profile is active again",
}


def lock_provider(session: Session, provider_id: int) -> Provider:
    """Lock a provider's row (FOR NO KEY UPDATE) and re-read it as committed now."""
    return session.exec(
        select(Provider)
        .where(Provider.id == provider_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()


def set_status(
    session: Session, provider: Provider, *, status: str, reason: str, actor_id: int | None
) -> None:
    """Record a status with who, when and why; flush only."""
    provider.status = status
    provider.status_reason = reason
    provider.status_changed_at = utcnow()
    provider.status_changed_by_id = actor_id
    provider.updated_at = utcnow()
    session.add(provider)
    session.flush()

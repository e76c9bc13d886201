"""Accreditations that lapse: the CB is suspended and its held leads go back (flush only)."""

from datetime import date

from sqlmodel import Session, col, select

from matcher.models import Provider


def suspend_expired(session: Session, *, today: date) -> list[int]:
    """Suspend verified CBs whose accreditation has expired, freeing their leads; flush only."""
    from matcher.businesses.state import fresh
    from matcher.links import absolute_url
    from matcher.models import ProviderStatus, utcnow
    from matcher.outbox import queue_mail
    from matcher.providers.audit_log import audit
    from matcher.quotes.withdrawal import PROVIDER_SUSPENDED, free_held_leads
    from matcher.vetting.decisions import set_status

    # Read unlocked; checked again under the locks below, before anything is written.
    seen = dict(
        session.exec(
            select(Provider.id, Provider.accreditation_expires_on)
            .where(Provider.status == ProviderStatus.VERIFIED)
            .where(col(Provider.accreditation_expires_on) < today)
        ).all()
    )

    def still_lapsed(row) -> bool:
        # An admin may have suspended it meanwhile, or approved a renewed date.
        return (
            row.status == ProviderStatus.VERIFIED and row.accreditation_expires_on == seen[row.id]
        )

    # All their leads first: every request is locked before any provider row is written.
    withdrawn = free_held_leads(
        session,
        list(seen),
        now=utcnow(),
        because=lambda rows: {row.id: PROVIDER_SUSPENDED for row in rows if still_lapsed(row)},
    )
    # Locked by free_held_leads: re-read as committed now.
    expired = [
        provider
        for provider in fresh(
            session, select(Provider).where(col(Provider.id).in_(list(seen))).order_by(Provider.id)
        ).all()
        if still_lapsed(provider)
    ]
    for provider in expired:
        reason = f"Accreditation expired on {provider.accreditation_expires_on.isoformat()}."
        set_status(session, provider, status=ProviderStatus.SUSPENDED, reason=reason, actor_id=None)
        audit(session, action="suspend", provider=provider, reason=reason, actor_id=None)
        queue_mail(
            session,
            template="provider_accreditation_expired",
            to=provider.email,
            subject="Your CertMatch profile is suspended: accreditation expired",
            context={
                "provider": provider,
                "expires": provider.accreditation_expires_on,
                "profile_link": absolute_url("/provider/review"),
                "withdrawn_leads": withdrawn[provider.id],
            },
            dedupe_key=f"accreditation-expired:{provider.id}:{provider.accreditation_expires_on}",
            provider_id=provider.id,
        )
    return [p.id for p in expired]

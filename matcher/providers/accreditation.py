"""Accreditation bodies as data, and accreditation expiry checks."""

from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from matcher.iso.reference import accreditation_bodies
from matcher.models import AccreditationBody, Provider
from matcher.providers.recognition import ensure_scheme_rows

EXPIRY_WARNING_DAYS = 30


def ensure_accreditation_bodies(session: Session) -> int:
    """Insert every IAF MLA `AB` row not yet present; return how many were added; flush only."""
    known = {a.lower() for a in session.exec(select(AccreditationBody.acronym))}
    added = 0
    for row in accreditation_bodies():
        if row["acronym"].lower() in known:
            continue
        session.add(
            AccreditationBody(
                acronym=row["acronym"],
                name=row["full_name"],
                country=row["country_or_economy"] or None,
                iaf_mla_evidence=row["iaf_mla_evidence"] or None,
                scope_evidence=row["management_systems_scope_evidence"] or None,
            )
        )
        known.add(row["acronym"].lower())
        added += 1
    session.flush()
    # Each body's schemes start from the shipped recognition data, the way the body does.
    ensure_scheme_rows(session)
    return added


def find_body(session: Session, acronym: str) -> AccreditationBody | None:
    """The accreditation body with this acronym (case-insensitive)."""
    wanted = acronym.strip().lower()
    return session.exec(
        select(AccreditationBody).where(func.lower(AccreditationBody.acronym) == wanted)
    ).first()


def all_bodies(session: Session) -> list[AccreditationBody]:
    """Every accreditation body, by acronym."""
    return list(session.exec(select(AccreditationBody).order_by(AccreditationBody.acronym)))


def seed_if_empty(session: Session) -> bool:
    """On a fresh database, load the IAF MLA bodies; return whether the caller must commit."""
    if session.exec(select(AccreditationBody.id).limit(1)).first() is not None:
        return False
    return ensure_accreditation_bodies(session) > 0


def body_is_usable(body: AccreditationBody | None) -> bool:
    """Recognised for some scheme and not suspended: a CB accredited by it may receive leads
    (for the standards of the schemes it is confirmed for: `recognition`)."""
    return body is not None and body.recognised and not body.suspended


def expiry_warnings(provider: Provider, *, today: date) -> list[str]:
    """Plain-language warnings about expired or soon-expiring accreditation and insurance."""
    warnings = []
    checks = [
        ("Accreditation", provider.accreditation_expires_on),
        ("Indemnity insurance", provider.insurance_expires_on),
    ]
    for label, expires in checks:
        if expires is None:
            continue
        if expires < today:
            warnings.append(f"{label} expired on {expires.isoformat()}.")
        elif expires <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            warnings.append(f"{label} expires on {expires.isoformat()}.")
    return warnings


def warn_expiring(session: Session, *, today: date) -> list[int]:
    """Mail verified providers whose accreditation or insurance ends within 30 days, once."""
    from matcher.links import absolute_url
    from matcher.models import ProviderStatus
    from matcher.outbox import queue_mail

    horizon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    warned = []
    for column, what in (
        (Provider.accreditation_expires_on, "accreditation"),
        (Provider.insurance_expires_on, "insurance"),
    ):
        rows = session.exec(
            select(Provider)
            .where(Provider.status == ProviderStatus.VERIFIED)
            .where(col(column) >= today, col(column) <= horizon)
            .order_by(Provider.id)
        ).all()
        for provider in rows:
            expires = getattr(provider, column.key)
            message = queue_mail(
                session,
                template="provider_expiry_warning",
                to=provider.email,
                subject=f"Your {what} on CertMatch expires on {expires.isoformat()}",
                context={
                    "provider": provider,
                    "what": what,
                    "expires": expires,
                    "profile_link": absolute_url("/provider/profile"),
                },
                # One warning per expiry date: renewing moves the date and re-arms it.
                dedupe_key=f"expiry-warning:{what}:{provider.id}:{expires.isoformat()}",
                provider_id=provider.id,
            )
            if message is not None:
                warned.append(provider.id)
    return warned

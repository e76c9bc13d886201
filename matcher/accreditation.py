"""Accreditation bodies as data, and accreditation expiry checks."""

from datetime import date, timedelta

from sqlmodel import Session, func, select

from matcher.models import AccreditationBody, Provider
from matcher.reference import accreditation_bodies

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


def body_is_usable(body: AccreditationBody | None) -> bool:
    """Recognised and not suspended: a CB accredited by it may receive leads."""
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

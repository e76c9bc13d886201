"""Create, confirm and look up quote requests (flush, never commit: the caller commits)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from matcher import links
from matcher.businesses.consultants import registered_consultant_ids
from matcher.businesses.state import lock_request
from matcher.iso import reference
from matcher.models import (
    OPEN_STATUSES,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from matcher.outbox import queue_job, queue_mail


class RequestPurged(Exception):
    """The request's personal data was purged: its link answers 410 and nothing acts on it."""


@dataclass(frozen=True)
class RequestDetails:
    """What the business typed, already validated."""

    company_name: str
    contact_name: str
    email: str
    phone: str | None
    country: str
    region: str | None
    sector: int
    employees: int
    sites: int
    standards: tuple[str, ...]
    service: str
    certification_status: str
    timeline: str
    current_consultant: str | None
    budget: int | None
    notes: str | None
    # Consultants used in the last two years besides the current one, at most three.
    previous_consultants: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A hash of the normalised submission, for spotting the same form sent twice."""
        data = {**self.__dict__, "email": self.email.lower(), "standards": sorted(self.standards)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def submit_request(session: Session, details: RequestDetails) -> tuple[QuoteRequest, bool]:
    """Record a request and its confirmation mail; return (request, created).

    The same submission within the duplicate window returns the earlier request unchanged.
    """
    fingerprint = details.fingerprint()
    _lock_fingerprint(session, fingerprint)
    window = timedelta(minutes=current_app.config["DUPLICATE_REQUEST_WINDOW_MINUTES"])
    earlier = session.exec(
        select(QuoteRequest)
        .where(QuoteRequest.fingerprint == fingerprint)
        .where(col(QuoteRequest.created_at) >= utcnow() - window)
        .order_by(col(QuoteRequest.id).desc())
    ).first()
    if earlier is not None:
        return earlier, False
    typed = [details.current_consultant or "", *details.previous_consultants]
    consultant_id, *previous_ids = registered_consultant_ids(session, typed)
    quote_request = QuoteRequest(
        public_id=links.new_public_id(),
        fingerprint=fingerprint,
        company_name=details.company_name,
        contact_name=details.contact_name,
        email=details.email,
        phone=details.phone,
        country=details.country,
        region=details.region,
        sector=details.sector,
        employees=details.employees,
        sites=details.sites,
        standards=" ".join(s for s in reference.STANDARDS if s in details.standards),
        service=details.service,
        certification_status=details.certification_status,
        timeline=details.timeline,
        current_consultant_id=consultant_id,
        current_consultant_name=details.current_consultant,
        previous_consultants=[
            {"name": name, "provider_id": provider_id}
            for name, provider_id in zip(details.previous_consultants, previous_ids, strict=True)
        ],
        budget=details.budget,
        notes=details.notes,
        currency=reference.currency_for_country(details.country),
    )
    session.add(quote_request)
    session.flush()
    queue_mail(
        session,
        template="confirm_request",
        to=quote_request.email,
        subject="Confirm your CertMatch request",
        context={
            "req": quote_request,
            "standards": [reference.STANDARDS[code] for code in quote_request.standard_codes],
            "link": links.request_url(quote_request.public_id),
        },
        dedupe_key=f"confirm:{quote_request.id}",
        request_id=quote_request.id,
    )
    return quote_request, True


def confirm_request(session: Session, quote_request: QuoteRequest) -> bool:
    """Confirm a pending request and queue its matching; confirming twice changes nothing.

    Raises RequestPurged when the purge got there first.
    """
    locked = lock_live_request(session, quote_request.id)
    if locked is None:
        raise RequestPurged()
    if locked.status != RequestStatus.PENDING_CONFIRMATION:
        return False
    locked.status = RequestStatus.CONFIRMED
    locked.confirmed_at = utcnow()
    session.add(locked)
    queue_job(
        session,
        func="match_request",
        args=[locked.id],
        dedupe_key=f"match_request:{locked.id}:initial",
    )
    session.flush()
    return True


def lock_live_request(session: Session, request_id: int) -> QuoteRequest | None:
    """Lock a request for the rest of the transaction; None once its data is purged (or gone).

    The page read the request before it acted on it: a purge may have committed in between,
    so only this locked, fresh read can tell, and the lock keeps the purge out until commit.
    """
    locked = lock_request(session, request_id)
    return locked if locked is not None and locked.purged_at is None else None


def find_by_token(session: Session, token: str) -> QuoteRequest | None:
    """Return the live request a /r/<token> link points at, or None."""
    public_id = links.public_id_from_token(token)
    if public_id is None:
        return None
    found = session.exec(select(QuoteRequest).where(QuoteRequest.public_id == public_id)).first()
    if found is None or found.purged_at is not None:
        return None
    return found


def resend_links(session: Session, email: str) -> int:
    """Mail the business its links to every open request; return how many were found."""
    # Locked, so a purge in progress is waited for and its requests are left out: on
    # PostgreSQL the rows are re-checked once the purge commits.
    open_requests = session.exec(
        select(QuoteRequest)
        .where(func.lower(QuoteRequest.email) == email.lower())
        .where(col(QuoteRequest.status).in_(list(OPEN_STATUSES)))
        .where(col(QuoteRequest.purged_at).is_(None))
        .order_by(col(QuoteRequest.created_at).desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if not open_requests:
        return 0
    queue_mail(
        session,
        template="resend_links",
        to=open_requests[0].email,
        subject="Your CertMatch requests",
        context={
            "requests": [(r, links.request_url(r.public_id)) for r in open_requests],
        },
    )
    return len(open_requests)


def _lock_fingerprint(session: Session, fingerprint: str) -> None:
    # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs a lock to stop
    # two identical submissions racing past the duplicate check.
    if session.get_bind().dialect.name == "postgresql":
        key = int(fingerprint[:15], 16)
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=key))

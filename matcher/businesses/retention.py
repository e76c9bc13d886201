"""Purge a business's personal data once a request is past retention (DATA_RETENTION_DAYS).

Which requests are due:
- closed or withdrawn: DATA_RETENTION_DAYS after `closed_at` (the last moment the business or
  a provider could act on it; `created_at` for an old row that never recorded it);
- never confirmed (`confirmed_at` unset), whether still pending or withdrawn before it was
  confirmed: UNCONFIRMED_DAYS after `created_at` (or DATA_RETENTION_DAYS when that is
  shorter), since nobody ever asked for anything to happen with data that was never confirmed;
- never a request that is still live (confirmed, matched, unmatched or accepted): those close
  after 30 days (matcher/leads/lifecycle.py) and only then start their retention period.

A purge overwrites the business's name, contact, e-mail, phone, region, notes, current
consultant and submission fingerprint, and the copies of them elsewhere (the mail sent about
the request, the providers' free-text messages and notes, the rating's comment). It keeps what
the marketplace counts: standards, sector, size, country, budget, status, dates, offers,
quotes' figures and stars. Everything is written under the request's row lock and flushed in
the caller's transaction, so a request is purged whole or not at all, and only once.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from matcher import links
from matcher.businesses.state import HELD_STATUSES, lock_request
from matcher.models import (
    LeadOffer,
    OutboxMessage,
    OutboxStatus,
    Quote,
    QuoteRequest,
    Rating,
    RequestStatus,
)

UNCONFIRMED_DAYS = 30
# Requests in these states have ended; their retention period runs from closed_at.
ENDED_STATUSES = (RequestStatus.CLOSED, RequestStatus.WITHDRAWN)
# Requests no business or provider can act on any more: only these are ever purged.
NOT_LIVE_STATUSES = (RequestStatus.PENDING_CONFIRMATION, *ENDED_STATUSES)
BATCH_SIZE = 200

DELETED = "[deleted]"
MAIL_DELETED = "[This message was deleted with the request's personal data.]"
# An outbox status no sender or sweeper picks up: mail about a purged request never leaves.
MAIL_PURGED = "purged"
DELIVERED = (OutboxStatus.SENT, OutboxStatus.DONE)
# What the business typed about itself, and what each column becomes.
PURGED_VALUES = {
    "company_name": DELETED,
    "contact_name": DELETED,
    "email": "",
    "phone": None,
    "region": None,
    "notes": None,
    "current_consultant_id": None,
    "current_consultant_name": None,
    "previous_consultants": [],
    # Not a hash of anything any more: it would still confirm a guessed submission.
    "fingerprint": "",
}


def retention_days() -> int:
    """How many days an ended request keeps its personal data (DATA_RETENTION_DAYS)."""
    return current_app.config["DATA_RETENTION_DAYS"]


def unconfirmed_days(days: int | None = None) -> int:
    """How many days a never-confirmed request keeps its data: never longer than the rest."""
    return min(UNCONFIRMED_DAYS, retention_days() if days is None else days)


def kept_days(quote_request: QuoteRequest) -> int:
    """How many days this request's personal data was kept before purging."""
    if quote_request.confirmed_at is None:
        return unconfirmed_days()
    return retention_days()


def is_due(quote_request: QuoteRequest, *, now: datetime, days: int) -> bool:
    """Whether a request's personal data is past retention and not purged yet."""
    if quote_request.purged_at is not None or quote_request.status not in NOT_LIVE_STATUSES:
        return False
    # Withdrawn before it was confirmed: still the short period, counted from the form.
    unconfirmed_cutoff = now - timedelta(days=unconfirmed_days(days))
    if quote_request.confirmed_at is None and quote_request.created_at <= unconfirmed_cutoff:
        return True
    if quote_request.status in ENDED_STATUSES:
        ended = quote_request.closed_at or quote_request.created_at
        return ended <= now - timedelta(days=days)
    return False


def requests_due_purge(
    session: Session, *, now: datetime, after_id: int = 0, limit: int = BATCH_SIZE
) -> list[int]:
    """Ids of requests due a purge (the SQL twin of is_due), by id, after `after_id`."""
    cutoff = now - timedelta(days=retention_days())
    ended = and_(
        col(QuoteRequest.status).in_(ENDED_STATUSES),
        or_(
            col(QuoteRequest.closed_at) <= cutoff,
            and_(col(QuoteRequest.closed_at).is_(None), col(QuoteRequest.created_at) <= cutoff),
        ),
    )
    unconfirmed = and_(
        col(QuoteRequest.status).in_(NOT_LIVE_STATUSES),
        col(QuoteRequest.confirmed_at).is_(None),
        col(QuoteRequest.created_at) <= now - timedelta(days=unconfirmed_days()),
    )
    return list(
        session.exec(
            select(QuoteRequest.id)
            .where(col(QuoteRequest.purged_at).is_(None))
            .where(or_(ended, unconfirmed))
            .where(col(QuoteRequest.id) > after_id)
            .order_by(QuoteRequest.id)
            .limit(limit)
        ).all()
    )


def purge_request(session: Session, request_id: int, *, now: datetime) -> bool:
    """Overwrite one due request's personal data and its copies; False when not due.

    Flush, never commit: the caller's transaction makes the whole purge one change.
    """
    quote_request = lock_request(session, request_id)
    if quote_request is None or not is_due(quote_request, now=now, days=retention_days()):
        return False
    if _has_open_offers(session, request_id):
        # A providers' lead still in play: the request is not over, whatever its status says.
        return False
    _purge_mail(session, quote_request)
    _purge_answers(session, request_id)
    for name, value in PURGED_VALUES.items():
        setattr(quote_request, name, value)
    quote_request.purged_at = now
    session.add(quote_request)
    session.flush()
    return True


def purged_request_for_token(session: Session, token: str) -> QuoteRequest | None:
    """The purged request a genuine /r/<token> link points at, or None."""
    public_id = links.public_id_from_token(token)
    if public_id is None:
        return None
    found = session.exec(select(QuoteRequest).where(QuoteRequest.public_id == public_id)).first()
    return found if found is not None and found.purged_at is not None else None


def _has_open_offers(session: Session, request_id: int) -> bool:
    return (
        session.exec(
            select(LeadOffer.id)
            .where(LeadOffer.request_id == request_id)
            .where(col(LeadOffer.status).in_(HELD_STATUSES))
        ).first()
        is not None
    )


def _purge_mail(session: Session, quote_request: QuoteRequest) -> None:
    # Every mail about the request quotes some of it (the brief, the contact details once a
    # quote was accepted); the resend mails carry no request id but list its name and link.
    about_request = col(OutboxMessage.request_id) == quote_request.id
    to_business = and_(
        func.lower(OutboxMessage.to_email) == quote_request.email.lower(),
        or_(
            about_request,
            and_(
                col(OutboxMessage.request_id).is_(None),
                OutboxMessage.template == "resend_links",
            ),
        ),
    )
    purged = or_(about_request, to_business)
    session.exec(
        update(OutboxMessage)
        .where(purged)
        .where(col(OutboxMessage.status).not_in(DELIVERED))
        .values(status=MAIL_PURGED)
    )
    session.exec(
        update(OutboxMessage)
        .where(purged)
        .values(body_text=MAIL_DELETED, body_html=None, last_error=None)
    )
    # Last: the two statements above find the business's mail by its address.
    session.exec(update(OutboxMessage).where(to_business).values(to_email="", subject=DELETED))


def _purge_answers(session: Session, request_id: int) -> None:
    # Free text written to or about the business; the figures and stars stay for statistics.
    session.exec(
        update(Quote)
        .where(col(Quote.request_id) == request_id)
        .values(message=None, justification=None)
    )
    session.exec(
        update(LeadOffer).where(col(LeadOffer.request_id) == request_id).values(decline_note=None)
    )
    session.exec(update(Rating).where(col(Rating.request_id) == request_id).values(comment=None))

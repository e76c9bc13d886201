"""Time in a request's life: unanswered offers expire, reminders go out, requests close.

Every function takes `now`, so tests freeze the clock, and is idempotent: a second run at the
same moment finds nothing left to do. The `*_due` functions list the work; the others do one
piece of it under the request's row lock, so a job can commit each piece on its own.
Flush, never commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session, col, select

from matcher import links
from matcher.businesses.briefs import Brief, build_brief
from matcher.businesses.state import OPEN_FOR_QUOTES, lock_request, queue_rematch
from matcher.models import LeadOffer, OfferStatus, Provider, QuoteRequest, RequestStatus
from matcher.outbox import queue_mail
from matcher.providers import track_record
from matcher.quotes.outcomes import end_open_offers
from matcher.wording import plural

CLOSE_AFTER_DAYS = 30
# Requests in these states close once they are this old (counted from confirmation).
CLOSABLE_STATUSES = (*OPEN_FOR_QUOTES, RequestStatus.ACCEPTED)
INBOX_LIMIT = 500


def response_window() -> timedelta:
    """How long a provider has to answer a lead (RESPONSE_WINDOW_HOURS)."""
    return timedelta(hours=current_app.config["RESPONSE_WINDOW_HOURS"])


def reminder_lead() -> timedelta:
    """How long before the window closes a provider is reminded: a quarter of the window."""
    return response_window() / 4


# ---------------------------------------------------------------- expiry and re-matching


def requests_with_expired_offers(session: Session, *, now: datetime) -> list[int]:
    """Requests that have an offer still open past its answer-by time."""
    return list(
        session.exec(
            select(LeadOffer.request_id)
            .where(LeadOffer.status == OfferStatus.OFFERED)
            .where(col(LeadOffer.expires_at) <= now)
            .distinct()
            .order_by(LeadOffer.request_id)
        ).all()
    )


def expire_request_offers(session: Session, request_id: int, *, now: datetime) -> list[int]:
    """Expire a request's unanswered offers, tell their providers, and queue the re-match."""
    quote_request = lock_request(session, request_id)
    if quote_request is None:
        return []
    expired = session.exec(
        select(LeadOffer)
        .where(LeadOffer.request_id == request_id)
        .where(LeadOffer.status == OfferStatus.OFFERED)
        .where(col(LeadOffer.expires_at) <= now)
        .order_by(LeadOffer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for offer in expired:
        offer.status = OfferStatus.EXPIRED
        session.add(offer)
        session.flush()
        track_record.refresh_response_record(session, offer.provider_id)
        provider = session.get(Provider, offer.provider_id)
        queue_mail(
            session,
            template="offer_expired",
            to=provider.email,
            subject="A lead expired before you answered",
            context={"provider": provider, "offer": offer, "brief": build_brief(quote_request)},
            dedupe_key=f"offer_expired:{offer.id}",
            request_id=request_id,
            provider_id=provider.id,
        )
    if expired:
        queue_rematch(session, quote_request, "expiry", freed=expired[0], now=now)
    return [offer.id for offer in expired]


# ---------------------------------------------------------------- reminders


def offers_due_reminder(session: Session, *, now: datetime) -> list[int]:
    """Open offers whose window closes soon and whose provider was not reminded yet."""
    return list(
        session.exec(
            select(LeadOffer.id)
            .where(LeadOffer.status == OfferStatus.OFFERED)
            .where(col(LeadOffer.reminded_at).is_(None))
            .where(col(LeadOffer.expires_at) > now)
            .where(col(LeadOffer.expires_at) <= now + reminder_lead())
            .order_by(LeadOffer.id)
        ).all()
    )


def remind(session: Session, offer_id: int, *, now: datetime) -> bool:
    """Remind a provider of one lead about to expire; False when there is nothing to do."""
    offer = session.get(LeadOffer, offer_id)
    if offer is None:
        return False
    quote_request = lock_request(session, offer.request_id)
    offer = session.exec(
        select(LeadOffer)
        .where(LeadOffer.id == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if (
        offer.status != OfferStatus.OFFERED
        or offer.reminded_at is not None
        or offer.expires_at <= now
        or quote_request.status not in OPEN_FOR_QUOTES
        # A firm quote would mail a business whose address the purge deleted.
        or quote_request.purged_at is not None
    ):
        return False
    offer.reminded_at = now
    session.add(offer)
    provider = session.get(Provider, offer.provider_id)
    queue_mail(
        session,
        template="reminder_offer",
        to=provider.email,
        subject=f"Reminder: a lead expires in {time_left(offer.expires_at, now)}",
        context={
            "provider": provider,
            "offer": offer,
            "brief": build_brief(quote_request),
            "left": time_left(offer.expires_at, now),
            "link": links.absolute_url(f"/provider/leads/{offer.id}"),
        },
        dedupe_key=f"reminder:{offer.id}",
        request_id=offer.request_id,
        provider_id=provider.id,
    )
    session.flush()
    return True


# ---------------------------------------------------------------- closing


def requests_due_closing(session: Session, *, now: datetime) -> list[int]:
    """Requests confirmed more than CLOSE_AFTER_DAYS ago and not closed yet."""
    return list(
        session.exec(
            select(QuoteRequest.id)
            .where(col(QuoteRequest.status).in_(CLOSABLE_STATUSES))
            .where(col(QuoteRequest.confirmed_at) <= now - timedelta(days=CLOSE_AFTER_DAYS))
            .order_by(QuoteRequest.id)
        ).all()
    )


def close_request(session: Session, request_id: int, *, now: datetime) -> bool:
    """Close one request that is old enough; its open offers end and their providers are told."""
    quote_request = lock_request(session, request_id)
    if (
        quote_request is None
        or quote_request.status not in CLOSABLE_STATUSES
        or quote_request.confirmed_at is None
        or quote_request.confirmed_at > now - timedelta(days=CLOSE_AFTER_DAYS)
    ):
        return False
    quote_request.status, quote_request.closed_at = RequestStatus.CLOSED, now
    session.add(quote_request)
    session.flush()
    end_open_offers(session, quote_request, reason="closed", now=now)
    return True


def time_left(expires_at: datetime, now: datetime) -> str:
    """The time left to answer, in words ('1 day 5 hours'); 'no time' once past."""
    seconds = (expires_at - now).total_seconds()
    if seconds <= 0:
        return "no time"
    hours = seconds / 3600
    if hours < 24:
        return track_record.duration_text(hours)
    days, rest = divmod(round(hours), 24)
    return plural(days, "day") + (f" {plural(rest, 'hour')}" if rest else "")


# ---------------------------------------------------------------- the provider's inbox

TABS = {
    "new": "New",
    "quoted": "Quoted",
    "won": "Won",
    "lost": "Lost",
    "expired": "Expired",
}


def inbox_tab(offer: LeadOffer, now: datetime) -> str:
    """Which inbox tab a lead belongs in: an open lead past its time is already expired."""
    if offer.status == OfferStatus.OFFERED:
        return "new" if offer.expires_at > now else "expired"
    return {
        OfferStatus.QUOTED: "quoted",
        OfferStatus.WON: "won",
        OfferStatus.EXPIRED: "expired",
    }.get(offer.status, "lost")


@dataclass(frozen=True)
class Lead:
    """One lead in a provider's inbox: the offer, its anonymised brief and the time left."""

    offer: LeadOffer
    brief: Brief
    tab: str
    left: str | None


def inbox(session: Session, provider_id: int, tab: str, *, now: datetime):
    """A provider's leads in one tab, newest first, and the count of every tab."""
    rows = session.exec(
        select(LeadOffer, QuoteRequest)
        .join(QuoteRequest, col(QuoteRequest.id) == LeadOffer.request_id)
        .where(LeadOffer.provider_id == provider_id)
        .order_by(col(LeadOffer.offered_at).desc(), col(LeadOffer.id).desc())
        .limit(INBOX_LIMIT)
    ).all()
    counts = dict.fromkeys(TABS, 0)
    leads = []
    for offer, quote_request in rows:
        where = inbox_tab(offer, now)
        counts[where] += 1
        if where == tab:
            left = time_left(offer.expires_at, now) if where == "new" else None
            leads.append(Lead(offer, build_brief(quote_request), where, left))
    return leads, counts

"""A provider's track record: how often and how fast it answers leads, and its ratings.

The matcher reads these columns of Provider (offers_received, offers_answered,
median_response_hours, rating_count, rating_sum); the lead lifecycle keeps them current.
Counts are recomputed from the offers themselves, so running an update twice never counts
anything twice.
"""

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlmodel import Session, col, func, select, update

from matcher.models import LeadOffer, OfferStatus, Provider
from matcher.wording import plural

# A provider answered when it quoted or declined; an offer withdrawn before it could answer
# (cancelled, never responded) does not count against it, and one withdrawn after it quoted
# (cancelled by a suspension, responded) still counts as answered.
ANSWERED_STATUSES = (
    OfferStatus.DECLINED, OfferStatus.QUOTED, OfferStatus.WON, OfferStatus.LOST,
    OfferStatus.CANCELLED,
)  # fmt: skip
# The median follows the provider's recent behaviour, not its whole history.
MEDIAN_WINDOW = 100
MIN_STARS, MAX_STARS = 1, 5


def refresh_response_record(session: Session, provider_id: int) -> None:
    """Recompute a provider's response rate inputs and median response time from its offers."""
    session.flush()
    # Only decided offers count: one still open can yet be answered, and one cancelled
    # before the provider answered says nothing about it.
    received = session.exec(
        select(func.count())
        .select_from(LeadOffer)
        .where(LeadOffer.provider_id == provider_id)
        .where(col(LeadOffer.status) != OfferStatus.OFFERED)
        .where(
            (col(LeadOffer.status) != OfferStatus.CANCELLED)
            | col(LeadOffer.responded_at).is_not(None)
        )
    ).one()
    answered_rows = session.exec(
        select(LeadOffer.offered_at, LeadOffer.responded_at)
        .where(LeadOffer.provider_id == provider_id)
        .where(col(LeadOffer.status).in_(ANSWERED_STATUSES))
        .where(col(LeadOffer.responded_at).is_not(None))
        .order_by(col(LeadOffer.responded_at).desc())
    ).all()
    recent = [hours_between(offered, responded) for offered, responded in answered_rows]
    session.exec(
        update(Provider)
        .where(col(Provider.id) == provider_id)
        .values(
            offers_received=received,
            offers_answered=len(answered_rows),
            median_response_hours=round(median(recent[:MEDIAN_WINDOW]), 2) if recent else None,
        )
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session, provider_id)


def record_rating(session: Session, provider_id: int, stars: int) -> None:
    """Add one rating to a provider's reputation (atomically, in SQL)."""
    if not MIN_STARS <= stars <= MAX_STARS:
        raise ValueError("stars must be between 1 and 5")
    session.exec(
        update(Provider)
        .where(col(Provider.id) == provider_id)
        .values(
            rating_count=Provider.rating_count + 1,
            rating_sum=Provider.rating_sum + stars,
        )
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session, provider_id)


def hours_between(start: datetime, end: datetime) -> float:
    """Hours from start to end, never negative."""
    return max((end - start).total_seconds() / 3600, 0.0)


@dataclass(frozen=True)
class TrackRecord:
    """What a business sees about a provider's behaviour."""

    response_rate: float | None
    median_response_hours: float | None
    rating: float | None
    rating_count: int

    @property
    def response_text(self) -> str:
        if self.response_rate is None:
            return "new on CertMatch"
        text = f"answers {round(self.response_rate * 100)}% of leads"
        if self.median_response_hours is not None:
            text += f", typically within {duration_text(self.median_response_hours)}"
        return text

    @property
    def rating_text(self) -> str:
        if not self.rating_count:
            return "no ratings yet"
        plural = "rating" if self.rating_count == 1 else "ratings"
        return f"{self.rating:.1f} / 5 ({self.rating_count} {plural})"


def track_record(provider: Provider) -> TrackRecord:
    """The provider's response rate, median response time and average rating."""
    rate = provider.offers_answered / provider.offers_received if provider.offers_received else None
    rating = provider.rating_sum / provider.rating_count if provider.rating_count else None
    return TrackRecord(
        response_rate=min(rate, 1.0) if rate is not None else None,
        median_response_hours=provider.median_response_hours,
        rating=rating,
        rating_count=provider.rating_count,
    )


def duration_text(hours: float) -> str:
    """A duration in words: '45 minutes', '5 hours', '2 days 3 hours'."""
    if hours < 1:
        return plural(max(round(hours * 60), 1), "minute")
    whole = round(hours)
    if whole < 48:
        return plural(whole, "hour")
    days, rest = divmod(whole, 24)
    return plural(days, "day") + (f" {plural(rest, 'hour')}" if rest else "")


def _expire_loaded(session: Session, provider_id: int) -> None:
    # The UPDATE ran in SQL; a Provider already in the session must not keep stale numbers.
    loaded = session.identity_map.get(session.identity_key(Provider, provider_id))
    if loaded is not None:
        session.expire(loaded)

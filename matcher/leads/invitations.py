"""What the business page says about a request's invitations: how many, and answer by when."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from matcher.leads.offers import FREED_STATUSES
from matcher.models import LeadOffer, OfferStatus


@dataclass(frozen=True)
class Invitation:
    """What the business page says about the providers invited."""

    invited: int
    open: int
    answer_by: datetime | None


def invitation_summary(session: Session, request_id: int) -> Invitation:
    """How many providers were invited to a request, and by when the open ones answer."""
    rows = session.exec(
        select(LeadOffer.status, LeadOffer.expires_at).where(LeadOffer.request_id == request_id)
    ).all()
    waiting = [expires for status, expires in rows if status == OfferStatus.OFFERED]
    return Invitation(
        invited=sum(1 for status, _ in rows if status != OfferStatus.CANCELLED),
        open=sum(1 for status, _ in rows if status not in FREED_STATUSES),
        answer_by=max(waiting) if waiting else None,
    )

"""Lead offers to providers, the match record, quotes and ratings."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from matcher.models.base import UTCDateTime, created_at_field, timestamp_field


class OfferStatus(StrEnum):
    OFFERED = "offered"
    DECLINED = "declined"
    QUOTED = "quoted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    WON = "won"
    LOST = "lost"


class QuoteStatus(StrEnum):
    INDICATIVE = "indicative"
    FIRM = "firm"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_CHOSEN = "not_chosen"
    # Its provider was suspended before the business decided: CertMatch no longer vouches for it.
    WITHDRAWN = "withdrawn"


class LeadOffer(SQLModel, table=True):
    __tablename__ = "lead_offer"
    # The unique pair is what makes matching idempotent across retries and workers.
    __table_args__ = (
        UniqueConstraint("request_id", "provider_id", name="uq_offer_request_provider"),
        Index("ix_offer_provider_offered_at", "provider_id", "offered_at"),
        Index("ix_offer_status_expires", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="quote_request.id", index=True)
    provider_id: int = Field(foreign_key="provider.id")
    status: str = Field(default=OfferStatus.OFFERED, max_length=16)
    rank: int = 0
    score: float = 0.0
    offered_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reminded_at: datetime | None = timestamp_field()
    responded_at: datetime | None = timestamp_field()
    decline_reason: str | None = Field(default=None, max_length=32)
    decline_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Set when CertMatch withdrew the lead from its provider (matcher.quotes.withdrawal.WHY), so the
    # provider's lead page can say what happened instead of "the request was closed".
    cancelled_because: str | None = Field(default=None, max_length=24)


class MatchRun(SQLModel, table=True):
    """One run of the matcher for a request, with every candidate's score breakdown."""

    __tablename__ = "match_run"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="quote_request.id", index=True)
    trigger: str = Field(max_length=24)
    created_at: datetime = created_at_field()
    candidates: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    filtered_out: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    offered_provider_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Quote(SQLModel, table=True):
    __tablename__ = "quote"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="lead_offer.id", unique=True)
    request_id: int = Field(foreign_key="quote_request.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    status: str = Field(default=QuoteStatus.INDICATIVE, max_length=16)
    kind: str = Field(max_length=24)
    currency: str = Field(max_length=3)
    # Certification body figures.
    stage1_days: Decimal | None = Field(default=None, sa_type=Numeric(6, 1), nullable=True)
    stage2_days: Decimal | None = Field(default=None, sa_type=Numeric(6, 1), nullable=True)
    surveillance_days: Decimal | None = Field(default=None, sa_type=Numeric(6, 2), nullable=True)
    recertification_days: Decimal | None = Field(default=None, sa_type=Numeric(6, 2), nullable=True)
    day_rate: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    application_fee: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    certificate_fee: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    annual_fee: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    travel: str | None = Field(default=None, max_length=16)
    travel_estimate: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    justification: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Consultant figures.
    fee_type: str | None = Field(default=None, max_length=8)
    fee: Decimal | None = Field(default=None, sa_type=Numeric(12, 2), nullable=True)
    days: Decimal | None = Field(default=None, sa_type=Numeric(6, 1), nullable=True)
    duration_weeks: int | None = None
    included: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Both.
    valid_until: datetime | None = timestamp_field()
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    three_year_total: Decimal | None = Field(default=None, sa_type=Numeric(14, 2), nullable=True)
    working: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = created_at_field()
    firmed_at: datetime | None = timestamp_field()
    decided_at: datetime | None = timestamp_field()


class Rating(SQLModel, table=True):
    __tablename__ = "rating"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="quote_request.id", unique=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    stars: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()

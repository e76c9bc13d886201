"""A business's quote request, the heart of the public flow."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from matcher.models.base import created_at_field, timestamp_field


class RequestStatus(StrEnum):
    PENDING_CONFIRMATION = "pending_confirmation"
    CONFIRMED = "confirmed"
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


# A business can still act on these (links in a resend mail point at them).
OPEN_STATUSES = (
    RequestStatus.PENDING_CONFIRMATION,
    RequestStatus.CONFIRMED,
    RequestStatus.MATCHED,
    RequestStatus.UNMATCHED,
)


class QuoteRequestBase(SQLModel):
    company_name: str = Field(max_length=200)
    contact_name: str = Field(max_length=120)
    email: str = Field(max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40)
    country: str = Field(max_length=2, index=True)
    region: str | None = Field(default=None, max_length=120)
    sector: int
    employees: int
    sites: int = 1
    # Space-separated standard codes ("iso9001 iso14001"): read whole, never filtered in SQL.
    standards: str = Field(max_length=200)
    service: str = Field(max_length=20)
    certification_status: str = Field(max_length=20)
    timeline: str = Field(max_length=20)
    current_consultant_id: int | None = Field(default=None, foreign_key="provider.id")
    current_consultant_name: str | None = Field(default=None, max_length=200)
    # Consultants the business used in the last two years, at most three, each as typed with
    # the registered consultant it names (or None): [{"name": ..., "provider_id": ...}].
    # Resolved when the request is written; on the row, so the matcher reads one row.
    previous_consultants: list[dict] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    budget: int | None = None
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    currency: str = Field(max_length=3)


class QuoteRequest(QuoteRequestBase, table=True):
    __tablename__ = "quote_request"

    id: int | None = Field(default=None, primary_key=True)
    # 128 random bits; the link signs it with SECRET_KEY, so the database alone opens nothing.
    public_id: str = Field(max_length=32, unique=True, index=True)
    # sha256 of the normalised submission: the same form sent twice maps to one request.
    fingerprint: str = Field(max_length=64, index=True)
    status: str = Field(default=RequestStatus.PENDING_CONFIRMATION, max_length=24, index=True)
    created_at: datetime = created_at_field()
    confirmed_at: datetime | None = timestamp_field()
    matched_at: datetime | None = timestamp_field()
    closed_at: datetime | None = timestamp_field()
    purged_at: datetime | None = timestamp_field()

    @property
    def standard_codes(self) -> list[str]:
        """The requested standards as a list of codes."""
        return self.standards.split()

    @property
    def previous_consultant_ids(self) -> list[int]:
        """The registered consultants among those the business used in the last two years."""
        return [c["provider_id"] for c in self.previous_consultants if c.get("provider_id")]

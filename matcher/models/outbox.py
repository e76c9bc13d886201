"""The outbox: mail and jobs written in the same transaction as the change that causes them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from matcher.models.base import created_at_field, timestamp_field


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """One e-mail; a job sends it, and a sent row is never sent again."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # What the mail is about, unique where a mail must go out once (e.g. "lead:12:7").
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    template: str = Field(max_length=64)
    to_email: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message_id: str = Field(max_length=255, unique=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    request_id: int | None = Field(default=None, foreign_key="quote_request.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    created_at: datetime = created_at_field()
    enqueued_at: datetime | None = timestamp_field()
    sent_at: datetime | None = timestamp_field()


class OutboxJob(SQLModel, table=True):
    """A background job to run once its transaction has committed (e.g. match a request)."""

    __tablename__ = "outbox_job"
    __table_args__ = (Index("ix_outbox_job_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # Unique: asking twice for the same work (e.g. "match_request:12:initial") records it once.
    dedupe_key: str = Field(max_length=120, unique=True)
    func: str = Field(max_length=120)
    args: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()
    enqueued_at: datetime | None = timestamp_field()
    done_at: datetime | None = timestamp_field()

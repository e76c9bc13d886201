"""An accreditation body's IAF MLA recognition, scheme by scheme (QMS, EMS, ... EnMS)."""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from matcher.iso.schemes import UNCONFIRMED
from matcher.models.base import timestamp_field


class BodySchemeRecognition(SQLModel, table=True):
    """Whether a body signs the IAF MLA for one scheme, with the evidence and who decided.

    `status` is confirmed, unconfirmed or rejected; only confirmed counts in matching. Rows
    start from `mla_recognition.csv` (confirmed only on a primary or corroborated source);
    an admin confirms or rejects the others on /admin/bodies.
    """

    __tablename__ = "body_scheme_recognition"

    body_id: int = Field(foreign_key="accreditation_body.id", primary_key=True, ondelete="CASCADE")
    scheme: str = Field(max_length=8, primary_key=True)
    status: str = Field(default=UNCONFIRMED, max_length=16)
    # A date or only a year, as the source gives it.
    since: str | None = Field(default=None, max_length=10)
    basis: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    confidence: str | None = Field(default=None, max_length=32)
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = timestamp_field()

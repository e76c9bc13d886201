"""People who log in, and the audit trail of what admins did."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from matcher.models.base import created_at_field, timestamp_field


class Role(StrEnum):
    ADMIN = "admin"
    PROVIDER = "provider"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(max_length=16)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    # Rotated at login and logout: older session cookies stop working.
    session_nonce: str = Field(max_length=64)
    email_confirmed_at: datetime | None = timestamp_field()
    last_login_at: datetime | None = timestamp_field()
    # Two-factor sign-in: the TOTP secret, encrypted with a key derived from SECRET_KEY
    # (matcher/accounts/two_factor.py), and the last accepted time step, so no code works twice.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_last_step: int | None = Field(default=None)
    # Wrong codes in a row and the time the code step opens again
    # (matcher/accounts/two_factor_lockout.py): in the database, so every web instance and a restart
    # see the same count.
    totp_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    totp_locked_until: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()

    # Flask-Login's user protocol. The id carries the nonce, so rotating it ends old sessions.
    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    def get_id(self) -> str:
        """The session identity: "<id>:<nonce>"."""
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=48)
    object_type: str = Field(max_length=32)
    object_id: int = Field(index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()

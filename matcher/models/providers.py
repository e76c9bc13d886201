"""Consultants and certification bodies, their scope, evidence and price lists."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from matcher.models.base import created_at_field, timestamp_field


class ProviderKind(StrEnum):
    CONSULTANT = "consultant"
    CERTIFICATION_BODY = "certification_body"


class ProviderStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class TravelPolicy(StrEnum):
    INCLUDED = "included"
    ESTIMATE = "estimate"
    AT_COST = "at_cost"


def money_field(*, nullable: bool = True):
    """A money column: exact decimal, never float."""
    return Field(default=None, sa_type=Numeric(12, 2), nullable=nullable)


class AccreditationBody(SQLModel, table=True):
    __tablename__ = "accreditation_body"

    id: int | None = Field(default=None, primary_key=True)
    acronym: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    country: str | None = Field(default=None, max_length=120)
    iaf_mla_evidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    scope_evidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Confirmed for at least one scheme (body_scheme_recognition), kept by the functions that
    # change those rows: matching reads the schemes themselves; this says "counts at all".
    recognised: bool = False
    suspended: bool = False
    created_at: datetime = created_at_field()


class Provider(SQLModel, table=True):
    __tablename__ = "provider"
    __table_args__ = (
        Index("ix_provider_match", "status", "kind", "min_employees", "max_employees"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24, index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    country: str | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, max_length=120)
    min_employees: int = 1
    max_employees: int = 100_000
    monthly_cap: int = 20

    status: str = Field(default=ProviderStatus.PENDING, max_length=16, index=True)
    status_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status_changed_at: datetime | None = timestamp_field()
    # The admin who decided; a plain id (the audit log holds the full trail) to avoid an FK cycle.
    status_changed_by_id: int | None = None

    # Price list: day_rate + currency alone is a usable price list.
    day_rate: Decimal | None = money_field()
    currency: str | None = Field(default=None, max_length=3)
    application_fee: Decimal | None = money_field()
    certificate_fee: Decimal | None = money_field()
    annual_fee: Decimal | None = money_field()
    travel_policy: str | None = Field(default=None, max_length=16)
    travel_estimate: Decimal | None = money_field()

    # Certification bodies only.
    accreditation_body_id: int | None = Field(default=None, foreign_key="accreditation_body.id")
    accreditation_number: str | None = Field(default=None, max_length=80)
    accreditation_expires_on: date | None = None

    # Consultants only.
    insurance_expires_on: date | None = None

    # Changes to accreditation or scope wait here until an admin approves them. Nothing
    # waiting is SQL NULL, not a JSON null, so `IS NULL` tells the two apart in SQL.
    pending_changes: dict | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )

    # Track record, kept current by the offer lifecycle and read by the matcher.
    offers_received: int = 0
    offers_answered: int = 0
    median_response_hours: float | None = None
    rating_count: int = 0
    rating_sum: int = 0
    last_offered_at: datetime | None = timestamp_field()

    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class ProviderCountry(SQLModel, table=True):
    __tablename__ = "provider_country"
    __table_args__ = (Index("ix_provider_country_country", "country", "provider_id"),)

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    country: str = Field(max_length=2, primary_key=True)


class ProviderStandard(SQLModel, table=True):
    __tablename__ = "provider_standard"
    __table_args__ = (Index("ix_provider_standard_standard", "standard", "provider_id"),)

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    standard: str = Field(max_length=16, primary_key=True)


class ProviderSector(SQLModel, table=True):
    """A consultant's sector specialism (none at all means every sector)."""

    __tablename__ = "provider_sector"
    __table_args__ = (Index("ix_provider_sector_sector", "sector", "provider_id"),)

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    sector: int = Field(primary_key=True)


class AccreditationScope(SQLModel, table=True):
    """One (standard, IAF sector) pair a certification body is accredited for."""

    __tablename__ = "accreditation_scope"
    __table_args__ = (Index("ix_scope_standard_sector", "standard", "sector", "provider_id"),)

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    standard: str = Field(max_length=16, primary_key=True)
    sector: int = Field(primary_key=True)


class AffiliationConfirmation(StrEnum):
    """Who put an affiliation in force."""

    OTHER_SIDE = "other_side"
    ADMIN = "admin"
    # `certmatch import-providers` is run by an admin: its affiliations count as approved.
    IMPORT = "import"
    # In force before confirmation was required (migration 0002).
    MIGRATION = "migration"


class Affiliation(SQLModel, table=True):
    """A relationship (ISO/IEC 17021-1 cl. 5.2) declared by `provider_id`.

    It keeps two providers apart in matching only once `confirmed_at` is set, by the other
    side or an admin: a declaration alone would let anyone shut a business's CBs out.
    """

    __tablename__ = "affiliation"
    __table_args__ = (Index("ix_affiliation_reverse", "affiliated_provider_id", "provider_id"),)

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    affiliated_provider_id: int = Field(
        foreign_key="provider.id", primary_key=True, ondelete="CASCADE"
    )
    created_at: datetime = created_at_field()
    declared_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_at: datetime | None = timestamp_field()
    confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_via: str | None = Field(default=None, max_length=16)
    # The other side said it is not true: it stays out of force until an admin decides.
    disputed_at: datetime | None = timestamp_field()
    disputed_by_id: int | None = Field(default=None, foreign_key="app_user.id")

    @property
    def in_force(self) -> bool:
        return self.confirmed_at is not None


class Qualification(SQLModel, table=True):
    """A consultant's qualification, e.g. a lead-auditor certificate."""

    __tablename__ = "qualification"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    issuer: str | None = Field(default=None, max_length=200)
    number: str | None = Field(default=None, max_length=80)
    expires_on: date | None = None


class EvidenceFile(SQLModel, table=True):
    """An uploaded certificate or insurance document, stored outside the web root."""

    __tablename__ = "evidence_file"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=32)
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=80, unique=True)
    content_type: str = Field(max_length=80)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = created_at_field()


class ConsultantPackage(SQLModel, table=True):
    """A consultant's fixed package or typical days for a headcount band."""

    __tablename__ = "consultant_package"
    __table_args__ = (UniqueConstraint("provider_id", "min_employees"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True, ondelete="CASCADE")
    min_employees: int
    max_employees: int
    fee: Decimal | None = money_field()
    days: Decimal | None = Field(default=None, sa_type=Numeric(6, 1), nullable=True)


class ComplexityCategory(StrEnum):
    """IAF MD 5 complexity categories of an EMS or OH&SMS (OH&S has no `limited`)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    LIMITED = "limited"


class SectorComplexity(SQLModel, table=True):
    """An admin's mapping of one IAF sector to an MD 5 complexity category for one standard."""

    __tablename__ = "sector_complexity"
    __table_args__ = (UniqueConstraint("standard", "sector"),)

    id: int | None = Field(default=None, primary_key=True)
    standard: str = Field(max_length=16)
    sector: int
    complexity: str = Field(max_length=16)
    updated_at: datetime = created_at_field()

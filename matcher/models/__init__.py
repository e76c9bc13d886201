"""SQLModel tables; importing this package registers every table on the metadata."""

from matcher.models import match_key_sync  # noqa: F401  (registers the listeners)
from matcher.models.accounts import AuditLog, Role, User
from matcher.models.base import utcnow
from matcher.models.match_keys import ProviderMatchKey, rebuild_match_keys
from matcher.models.offers import LeadOffer, MatchRun, OfferStatus, Quote, QuoteStatus, Rating
from matcher.models.outbox import OutboxJob, OutboxMessage, OutboxStatus
from matcher.models.providers import (
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    AffiliationConfirmation,
    ConsultantPackage,
    EvidenceFile,
    Provider,
    ProviderCountry,
    ProviderKind,
    ProviderSector,
    ProviderStandard,
    ProviderStatus,
    Qualification,
    TravelPolicy,
)
from matcher.models.recognition import BodySchemeRecognition
from matcher.models.requests import OPEN_STATUSES, QuoteRequest, RequestStatus

__all__ = [
    "OPEN_STATUSES",
    "AccreditationBody",
    "AccreditationScope",
    "Affiliation",
    "AffiliationConfirmation",
    "AuditLog",
    "BodySchemeRecognition",
    "ConsultantPackage",
    "EvidenceFile",
    "LeadOffer",
    "MatchRun",
    "OfferStatus",
    "OutboxJob",
    "OutboxMessage",
    "OutboxStatus",
    "Provider",
    "ProviderCountry",
    "ProviderKind",
    "ProviderMatchKey",
    "ProviderSector",
    "ProviderStandard",
    "ProviderStatus",
    "Qualification",
    "Quote",
    "QuoteRequest",
    "QuoteStatus",
    "Rating",
    "RequestStatus",
    "Role",
    "TravelPolicy",
    "User",
    "rebuild_match_keys",
    "utcnow",
]

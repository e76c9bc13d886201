"""The hard filters: a provider that fails one is never offered the request."""

from datetime import datetime

from matcher.matching.facts import (
    CERTIFICATION_BODY,
    KINDS_FOR_SERVICE,
    VERIFIED,
    OfferHistory,
    ProviderFacts,
    RequestFacts,
)

# Hard filters in the order they are checked; a provider is counted under the first it fails.
FILTERS = (
    "not_verified",
    "kind",
    "standards",
    "sector",
    "accreditation_body",
    "accreditation_expired",
    "country",
    "employees",
    "capacity",
    "already_offered",
    "impartiality",
)


def failed_filter(
    request: RequestFacts, provider: ProviderFacts, history: OfferHistory, now: datetime
) -> str | None:
    """Return the first hard filter the provider fails for this request, or None."""
    is_cb = provider.kind == CERTIFICATION_BODY
    if provider.status != VERIFIED:
        return "not_verified"
    if provider.kind not in KINDS_FOR_SERVICE.get(request.service, ()):
        return "kind"
    offered = {s for s, _ in provider.scope} if is_cb else provider.standards
    if not all(s in offered for s in request.standards):
        return "standards"
    if is_cb:
        if not all((s, request.sector) in provider.scope for s in request.standards):
            return "sector"
        if not all(s in provider.recognised_standards for s in request.standards):
            return "accreditation_body"
        expires = provider.accreditation_expires_on
        if expires is None or expires < now.date():
            return "accreditation_expired"
    elif provider.sectors and request.sector not in provider.sectors:
        return "sector"
    if request.country not in provider.countries:
        return "country"
    if not provider.min_employees <= request.employees <= provider.max_employees:
        return "employees"
    if provider.offers_last_30_days >= provider.monthly_cap:
        return "capacity"
    if provider.id in history.offered:
        return "already_offered"
    if conflicts(request, provider, history.offered):
        return "impartiality"
    return None


def conflicts(request: RequestFacts, provider: ProviderFacts, others: dict[int, str]) -> bool:
    """Whether impartiality keeps the provider out, given the providers already chosen."""
    # ISO/IEC 17021-1 cl. 5.2: an affiliated consultant and CB never share a request, and a
    # CB never audits a business its own affiliate advises or advised in the last two years.
    if provider.kind == CERTIFICATION_BODY and request.consultant_ids & provider.affiliated_ids:
        return True
    return any(
        other_id in provider.affiliated_ids and other_kind != provider.kind
        for other_id, other_kind in others.items()
    )

"""Instant indicative quotes: one per new offer whose provider has a price list (flush only)."""

from collections.abc import Mapping

from sqlmodel import Session, col, select

from matcher.models import ConsultantPackage, LeadOffer, Provider, Quote, QuoteRequest, QuoteStatus
from matcher.quotes.complexity import complexities_for
from matcher.quotes.estimates import Estimate, Package, PriceList, RequestFacts, estimate


def price_list_of(provider: Provider, packages: list[ConsultantPackage]) -> PriceList:
    """The estimate's view of a provider's price list."""
    return PriceList(
        kind=provider.kind,
        currency=provider.currency,
        day_rate=provider.day_rate,
        application_fee=provider.application_fee,
        certificate_fee=provider.certificate_fee,
        annual_fee=provider.annual_fee,
        travel_policy=provider.travel_policy,
        travel_estimate=provider.travel_estimate,
        packages=tuple(
            Package(p.min_employees, p.max_employees, fee=p.fee, days=p.days) for p in packages
        ),
    )


def facts_of(quote_request: QuoteRequest, session: Session | None = None) -> RequestFacts:
    """The estimate's view of a request; with a session, its sector's mapped complexities."""
    standards = tuple(quote_request.standard_codes)
    complexities = (
        complexities_for(session, sector=quote_request.sector, standards=standards)
        if session is not None
        else {}
    )
    return RequestFacts(
        standards=standards,
        employees=quote_request.employees,
        sites=quote_request.sites,
        currency=quote_request.currency,
        complexities=complexities,
    )


def write_indicative_quotes(
    session: Session,
    quote_request: QuoteRequest,
    offers: list[LeadOffer],
    *,
    providers: Mapping[int, Provider],
) -> list[Quote]:
    """Write an indicative Quote for each offer that has none and whose provider can be priced.

    `providers` holds every offer's provider by id, as the match run already read them.
    """
    if not offers:
        return []
    offer_ids = [o.id for o in offers]
    quoted = set(session.exec(select(Quote.offer_id).where(col(Quote.offer_id).in_(offer_ids))))
    provider_ids = [o.provider_id for o in offers]
    packages: dict[int, list[ConsultantPackage]] = {}
    for package in session.exec(
        select(ConsultantPackage).where(col(ConsultantPackage.provider_id).in_(provider_ids))
    ):
        packages.setdefault(package.provider_id, []).append(package)
    facts = facts_of(quote_request, session)
    written = []
    for offer in offers:
        if offer.id in quoted:
            continue
        provider = providers[offer.provider_id]
        result = estimate(facts, price_list_of(provider, packages.get(provider.id, [])))
        if not isinstance(result, Estimate):
            continue
        quote = _quote_from(result, offer)
        session.add(quote)
        written.append(quote)
    session.flush()
    return written


def _quote_from(result: Estimate, offer: LeadOffer) -> Quote:
    working = result.to_json()["working"]
    # The page lists these lines beside the figures: which MD 5 band gave which days.
    working["assumptions"] = [*_band_lines(working), *working.get("assumptions", [])]
    return Quote(
        offer_id=offer.id,
        request_id=offer.request_id,
        provider_id=offer.provider_id,
        status=QuoteStatus.INDICATIVE,
        kind=result.kind,
        currency=result.currency,
        three_year_total=result.three_year_total,
        working=working,
        **result.figures,
    )


def _band_lines(working: dict) -> list[str]:
    lines = []
    for part in working.get("standards", []):
        if "table" not in part:
            continue
        notes = part.get("notes") or []
        mapped = part.get("complexity") and not any("assumed" in note for note in notes)
        category = f", {part['complexity']} complexity for the sector" if mapped else ""
        line = (
            f"{part['label']}: {part['initial_days']} initial audit days "
            f"({part['table']}, {part['band']} employees{category})"
        )
        lines.append(line)
        lines.extend(notes)
    return lines

"""Run the matcher for a request: lead offers, the match record, lead mails (flush, never commit).

Idempotent: the request row is locked for the whole run (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's BEGIN IMMEDIATE already serialises writers), a run re-reads the offers already made,
and the unique (request, provider) pair on LeadOffer is the backstop.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session, col, select, update

from matcher import links, matching
from matcher.businesses.briefs import build_brief
from matcher.businesses.state import OPEN_FOR_QUOTES, firm_quotes, lock_request
from matcher.candidates.narrowing import count_removed
from matcher.candidates.search import count_eligible, match_candidates, request_facts
from matcher.leads.rematch_mail import quote_lines, tell_business_of_rematch
from matcher.matching import Candidate, OfferHistory, Ranking, Selection
from matcher.models import (
    LeadOffer,
    MatchRun,
    OfferStatus,
    Provider,
    Quote,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from matcher.outbox import queue_mail
from matcher.providers.vouching import still_vouched
from matcher.quotes.indicative import write_indicative_quotes

# A declined, expired or cancelled offer frees its slot; any other offer holds one.
FREED_STATUSES = (OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.CANCELLED)
FIRM_QUOTES_ENOUGH = 3
EXPLAINED_CANDIDATES = 30


@dataclass
class MatchOutcome:
    """What one run did: its record (None when the request was not matchable) and new offers."""

    run: MatchRun | None = None
    offers: list[LeadOffer] = field(default_factory=list)


def match_request(
    session: Session, request_id: int, *, now: datetime | None = None
) -> MatchOutcome:
    """Offer a confirmed request to its best providers; a second run finds it done."""
    quote_request = lock_request(session, request_id)
    if quote_request is None or quote_request.status != RequestStatus.CONFIRMED:
        return MatchOutcome()
    if quote_request.purged_at is not None:
        # Confirmed as it was purged: no provider gets a lead the business can never answer.
        return MatchOutcome()
    return _run(session, quote_request, "initial", now or utcnow())


def rematch_request(
    session: Session, request_id: int, trigger: str, *, now: datetime | None = None
) -> MatchOutcome:
    """Offer free slots to the next best candidates never offered this request before.

    Run by the job a decline, an expiry or a suspension queues (`queue_rematch`) and by the
    admin's "re-run matching"; does nothing once the request is no longer open or three firm
    quotes are in.
    """
    quote_request = lock_request(session, request_id)
    if quote_request is None or quote_request.status not in OPEN_FOR_QUOTES:
        return MatchOutcome()
    if (
        quote_request.purged_at is not None
        or firm_quotes(session, request_id) >= FIRM_QUOTES_ENOUGH
    ):
        return MatchOutcome()
    return _run(session, quote_request, trigger, now or utcnow())


def offer_history(session: Session, request_id: int) -> OfferHistory:
    """Every provider offered this request so far (id -> kind), and those holding a slot."""
    rows = session.exec(
        select(LeadOffer.provider_id, LeadOffer.status, Provider.kind)
        .join(Provider, col(Provider.id) == LeadOffer.provider_id)
        .where(LeadOffer.request_id == request_id)
    ).all()
    return OfferHistory(
        offered={pid: kind for pid, _, kind in rows},
        open={pid: kind for pid, status, kind in rows if status not in FREED_STATUSES},
    )


def _run(session: Session, quote_request: QuoteRequest, trigger: str, now: datetime):
    facts = request_facts(quote_request)
    history = offer_history(session, quote_request.id)
    ranking, selection = match_candidates(session, facts, history, now)
    selection = still_vouched(session, facts, history, ranking, selection, now)
    # Counted before this run's offers are written, as the ranking saw the market.
    kept = count_eligible(session, facts, history, now)
    expires_at = now + timedelta(hours=current_app.config["RESPONSE_WINDOW_HOURS"])
    ranks = {c.provider.id: i for i, c in enumerate(ranking.candidates, start=1)}
    offers = [
        LeadOffer(
            request_id=quote_request.id,
            provider_id=c.provider.id,
            status=OfferStatus.OFFERED,
            rank=ranks[c.provider.id],
            score=round(c.score, 1),
            offered_at=now,
            expires_at=expires_at,
        )
        for c in selection.chosen
    ]
    session.add_all(offers)
    chosen_ids = [c.provider.id for c in selection.chosen]
    if chosen_ids:
        session.exec(
            update(Provider).where(col(Provider.id).in_(chosen_ids)).values(last_offered_at=now)
        )
    removed = count_removed(session, facts, now)
    explained = _explained(ranking, selection)
    # Read once, after the lock re-check and the UPDATE above: the quotes, the mails and the
    # admin's explanation all use these rows (the chosen providers are among the explained).
    providers = _providers(session, [c.provider.id for _, c in explained])
    run = MatchRun(
        request_id=quote_request.id,
        trigger=trigger,
        created_at=now,
        candidates=_explain(explained, selection, providers),
        filtered_out={
            "removed": {
                name: removed.get(name, 0) + kept.get(name, 0) for name in matching.FILTERS
            },
            "eligible": kept["eligible"],
            "already_open": len(history.open),
            "offered_before": len(history.offered),
        },
        offered_provider_ids=chosen_ids,
    )
    session.add(run)
    session.flush()
    indicative = write_indicative_quotes(session, quote_request, offers, providers=providers)
    # A request already matched heard of its first providers; a re-match adds to that news.
    rematched = trigger != "initial" and quote_request.status == RequestStatus.MATCHED
    _update_status(session, quote_request, history, offers, now, indicative, providers)
    if rematched:
        tell_business_of_rematch(
            session,
            quote_request,
            trigger=trigger,
            offers=offers,
            indicative=indicative,
            providers=providers,
        )
    _queue_lead_mails(session, quote_request, offers, providers)
    return MatchOutcome(run=run, offers=offers)


def _explained(ranking: Ranking, selection: Selection) -> list[tuple[int, Candidate]]:
    """(rank, candidate) for the top candidates and every chosen one, best first."""
    chosen = {c.provider.id for c in selection.chosen}
    return [
        (i, c)
        for i, c in enumerate(ranking.candidates, start=1)
        if i <= EXPLAINED_CANDIDATES or c.provider.id in chosen
    ]


def _providers(session: Session, provider_ids: list[int]) -> dict[int, Provider]:
    if not provider_ids:
        return {}
    query = select(Provider).where(col(Provider.id).in_(provider_ids))
    return {p.id: p for p in session.exec(query)}


def _explain(
    shown: list[tuple[int, Candidate]], selection: Selection, providers: Mapping[int, Provider]
) -> list[dict]:
    """The top candidates with their score breakdown, for the admin's "why"."""
    chosen = {c.provider.id for c in selection.chosen}
    return [
        {
            "rank": i,
            "provider_id": c.provider.id,
            "name": providers[c.provider.id].name if c.provider.id in providers else "",
            "kind": c.provider.kind,
            "score": round(c.score, 1),
            "breakdown": {k: round(v, 1) for k, v in c.breakdown.items()},
            "offered": c.provider.id in chosen,
            "skipped": selection.skipped.get(c.provider.id),
        }
        for i, c in shown
    ]


def _update_status(
    session: Session,
    quote_request: QuoteRequest,
    history: OfferHistory,
    offers: list[LeadOffer],
    now: datetime,
    indicative: list[Quote],
    providers: Mapping[int, Provider],
) -> None:
    link = links.request_url(quote_request.public_id)
    if offers and quote_request.status != RequestStatus.MATCHED:
        quote_request.status = RequestStatus.MATCHED
        quote_request.matched_at = now
        session.add(quote_request)
        queue_mail(
            session,
            template="request_matched",
            to=quote_request.email,
            subject="Verified providers are preparing your quotes",
            context={
                "req": quote_request,
                "link": link,
                "invited": len(offers),
                "answer_by": max(o.expires_at for o in offers),
                "quotes": quote_lines(indicative, providers),
            },
            dedupe_key=f"matched:{quote_request.id}",
            request_id=quote_request.id,
        )
    elif not offers and not history.offered and quote_request.status == RequestStatus.CONFIRMED:
        quote_request.status = RequestStatus.UNMATCHED
        quote_request.matched_at = now
        session.add(quote_request)
        queue_mail(
            session,
            template="request_unmatched",
            to=quote_request.email,
            subject="We could not find a fitting provider yet",
            context={"req": quote_request, "link": link},
            dedupe_key=f"unmatched:{quote_request.id}",
            request_id=quote_request.id,
        )
    session.flush()


def _queue_lead_mails(
    session: Session,
    quote_request: QuoteRequest,
    offers: list[LeadOffer],
    providers: Mapping[int, Provider],
) -> None:
    if not offers:
        return
    brief = build_brief(quote_request)
    for offer in offers:
        provider = providers[offer.provider_id]
        queue_mail(
            session,
            template="lead_offer",
            to=provider.email,
            subject=f"New lead: {', '.join(brief.standards)} in {brief.country}",
            context={
                "provider": provider,
                "offer": offer,
                "brief": brief,
                "link": links.absolute_url(f"/provider/leads/{offer.id}"),
            },
            dedupe_key=f"lead:{offer.request_id}:{offer.provider_id}",
            request_id=offer.request_id,
            provider_id=offer.provider_id,
        )

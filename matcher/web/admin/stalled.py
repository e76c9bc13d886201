"""Stalled requests: every invited provider is done, no offer is open, nothing to decide.

Such a request stays `matched` and no job will move it again: only an admin can, by widening
the market and re-running matching. Usually the last matching run found no one else (and the
business was told, matcher/leads/rematch_mail.py); the queue says so only when that run recorded it,
since a re-match can also be missing, e.g. its job lost while Redis was down.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import exists
from sqlmodel import Session, and_, col, func, or_, select

from matcher.businesses.state import FIRM_OR_ACCEPTED
from matcher.db import get_session
from matcher.iso.reference import STANDARDS
from matcher.leads.offer_outcomes import OfferOutcomes, offer_outcomes
from matcher.matching import MAX_PROVIDERS_PER_REQUEST
from matcher.models import (
    LeadOffer,
    MatchRun,
    OfferStatus,
    Quote,
    QuoteRequest,
    RequestStatus,
    utcnow,
)
from matcher.web.admin import bp
from matcher.web.admin.queries import PAGE_SIZE, queue_sizes
from matcher.web.admin.requests import QUEUES
from matcher.web.auth.guards import admin_required
from matcher.web.bounds import page_arg
from matcher.wording import plural

STALLED_STATUSES = (RequestStatus.CONFIRMED, RequestStatus.MATCHED)
# A firm quote the business still has to decide on (FIRM_OR_ACCEPTED) means it is not stuck.
# A decline or an expiry re-matches at once, but the expiry sweep and a provider's answer can
# land minutes apart: the queue waits this long so it lists only what has really come to rest.
STALLED_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Stall:
    """One stalled request and what became of its offers."""

    request: QuoteRequest
    outcomes: OfferOutcomes
    # Eligible candidates the request's last matching run found; None without a record.
    last_eligible: int | None = None

    @property
    def at_limit(self) -> bool:
        """True when the request was offered to as many providers as it ever may be."""
        return self.outcomes.offered >= MAX_PROVIDERS_PER_REQUEST

    @property
    def reasons(self) -> list[str]:
        """Why nobody is working on it, in the admin's words."""
        outcomes = self.outcomes
        said = [
            f"{number} {words}"
            for number, words in (
                (outcomes.declined, "declined"),
                (outcomes.expired, "did not answer in time"),
            )
            if number
        ] + [
            f"{plural(number, noun)} {words}"
            for number, noun, words in (
                (outcomes.turned_down, "quote", "turned down by the business"),
                (outcomes.cancelled, "offer", "cancelled before an answer"),
            )
            if number
        ]
        offered = f"{outcomes.offered} of {MAX_PROVIDERS_PER_REQUEST} offered"
        if self.at_limit:
            return [*said, f"limit reached: {offered}"]
        if self.last_eligible == 0:
            return [*said, f"{offered}: no one else fitted"]
        # Not known why nobody followed: say only what is true, the admin re-runs matching.
        return [*said, f"{offered}: no open offer"]


def _ended_since(cutoff: datetime) -> list:
    """NOT EXISTS conditions: no offer or quote decision of the outer request at/after `cutoff`."""
    # An expiry ends at its answer-by time; a decline when it was sent; a quote the business
    # turned down (its offer cancelled or lost) when the business decided.
    # Spelled as plain column comparisons, not a CASE, so the planner can use their statistics.
    expired = col(LeadOffer.status) == OfferStatus.EXPIRED
    offer_ended = or_(
        and_(expired, col(LeadOffer.expires_at) >= cutoff),
        and_(~expired, col(LeadOffer.responded_at) >= cutoff),
    )
    # Two separate NOT EXISTS, not NOT (A OR B): PostgreSQL turns each into an anti-join
    # probing the request_id index instead of hashing every recent row of the table.
    return [
        ~exists().where(LeadOffer.request_id == QuoteRequest.id, offer_ended),
        ~exists().where(Quote.request_id == QuoteRequest.id, col(Quote.decided_at) >= cutoff),
    ]


def stalled_query(*, now: datetime, quiet_for: timedelta = STALLED_AFTER):
    """Live confirmed/matched requests with offers, none open, no firm quote, quiet a while."""
    any_offer = exists().where(LeadOffer.request_id == QuoteRequest.id)
    open_offer = exists().where(
        LeadOffer.request_id == QuoteRequest.id, LeadOffer.status == OfferStatus.OFFERED
    )
    firm_quote = exists().where(
        Quote.request_id == QuoteRequest.id, col(Quote.status).in_(FIRM_OR_ACCEPTED)
    )
    # Each EXISTS probes one request's rows through the request_id indexes of lead_offer and
    # quote; the outer scan is bounded by the status index to the open requests.
    return (
        select(QuoteRequest)
        .where(col(QuoteRequest.status).in_(STALLED_STATUSES))
        .where(col(QuoteRequest.purged_at).is_(None))
        .where(any_offer, ~open_offer, ~firm_quote, *_ended_since(now - quiet_for))
    )


def stalled_requests(
    session: Session, *, now: datetime, page: int = 1, quiet_for: timedelta = STALLED_AFTER
) -> tuple[list[Stall], int]:
    """A page of stalled requests, oldest first (their businesses waited longest); the total."""
    query = stalled_query(now=now, quiet_for=quiet_for)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(QuoteRequest.created_at), col(QuoteRequest.id))
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return _explain(session, list(rows)), total


def _explain(session: Session, requests: list[QuoteRequest]) -> list[Stall]:
    ids = [r.id for r in requests]
    outcomes = offer_outcomes(session, ids)
    eligible = _last_eligible(session, ids)
    return [
        Stall(request=r, outcomes=outcomes[r.id], last_eligible=eligible.get(r.id))
        for r in requests
    ]


def _last_eligible(session: Session, ids: list[int]) -> dict[int, int | None]:
    """request id -> eligible candidates its latest MatchRun counted (None: not recorded)."""
    latest = (
        select(func.max(MatchRun.id))
        .where(col(MatchRun.request_id).in_(ids))
        .group_by(col(MatchRun.request_id))
    )
    runs = session.exec(
        select(MatchRun.request_id, MatchRun.filtered_out).where(col(MatchRun.id).in_(latest))
    ).all()
    return {request_id: (counts or {}).get("eligible") for request_id, counts in runs}


@bp.get("/requests/stalled", endpoint="stalled_requests")
@admin_required
def stalled_list():
    page = page_arg()
    session = get_session()
    stalls, total = stalled_requests(session, now=utcnow(), page=page)
    return render_template(
        "admin/requests_stalled.html",
        stalls=stalls,
        total=total,
        queue="stalled",
        queues=QUEUES,
        sizes=queue_sizes(session),
        page=page,
        page_size=PAGE_SIZE,
        quiet_minutes=int(STALLED_AFTER.total_seconds() // 60),
        standards=STANDARDS,
    )

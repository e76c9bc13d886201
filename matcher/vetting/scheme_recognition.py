"""An admin confirms or rejects a body's IAF MLA recognition for one scheme (flush only).

Confirming widens: the body's CBs are keyed for the scheme's standards (the match-key
listener rebuilds their keys in this transaction) and the next match run may offer them such
requests. Rejecting a scheme that was confirmed narrows: the leads the body's CBs hold on
requests asking for a standard of that scheme are withdrawn as a body suspension withdraws
them (quotes withdrawn, a business holding a firm quote told, the requests re-matched); their
other leads stay. Locks as a body suspension does: the body, then the requests, then the CBs.

Left open: a match run that locked a CB just before the rejection may still commit a lead for
the scheme on a request this transaction did not lock (a body suspension hands such leads to
a follow-up job; nothing frees them per scheme yet).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.businesses.state import HELD_STATUSES, held_offers, lock_request
from matcher.iso.schemes import CONFIRMED, REJECTED, SCHEMES, recognition_of, standards_of
from matcher.models import (
    AccreditationBody,
    AuditLog,
    BodySchemeRecognition,
    LeadOffer,
    Provider,
    ProviderKind,
    QuoteRequest,
)
from matcher.providers.recognition import refresh_recognised
from matcher.providers.vouching import BODY_NOT_RECOGNISED, provider_rows
from matcher.quotes.withdrawal import take_back_lead
from matcher.vetting.body_recognition import lock_body

DECISIONS = (CONFIRMED, REJECTED)


@dataclass(frozen=True)
class SchemeDecision:
    """A body's scheme row after an admin's decision, whether it moved, and leads withdrawn."""

    body: AccreditationBody
    row: BodySchemeRecognition
    changed: bool
    withdrawn: int = 0


def decide_scheme(
    session: Session, body_id: int, scheme: str, *, status: str, actor_id: int | None, now: datetime
) -> SchemeDecision | None:
    """Set a body's scheme to confirmed or rejected, audit-logged; None when there is no such
    body or scheme. Deciding what is already decided changes and logs nothing."""
    if scheme not in SCHEMES or status not in DECISIONS:
        return None
    # Locked first, as a body suspension does: two admins at once decide once.
    body = lock_body(session, body_id)
    if body is None:
        return None
    row = session.exec(
        select(BodySchemeRecognition)
        .where(BodySchemeRecognition.body_id == body_id, BodySchemeRecognition.scheme == scheme)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        found = recognition_of(body.acronym, scheme)
        row = BodySchemeRecognition(
            body_id=body_id, scheme=scheme, basis=found.basis, source=found.source
        )
    if row.status == status:
        return SchemeDecision(body=body, row=row, changed=False)
    withdrawn = _withdraw_leads(session, body, scheme, now=now) if row.status == CONFIRMED else 0
    row.status, row.decided_by_id, row.decided_at = status, actor_id, now
    session.add(row)
    session.flush()
    refresh_recognised(session, [body])
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=f"{'confirm' if status == CONFIRMED else 'reject'}_body_scheme",
            object_type="accreditation_body",
            object_id=body.id,
            reason=f"{scheme}: {status}",
        )
    )
    session.flush()
    return SchemeDecision(body=body, row=row, changed=True, withdrawn=withdrawn)


def _withdraw_leads(session: Session, body: AccreditationBody, scheme: str, *, now) -> int:
    """Withdraw the leads the body's CBs hold on requests asking for the scheme's standards."""
    standards = set(standards_of(scheme))
    cbs = select(Provider.id).where(
        Provider.accreditation_body_id == body.id,
        Provider.kind == ProviderKind.CERTIFICATION_BODY,
    )
    held = session.exec(
        select(LeadOffer.request_id, QuoteRequest.standards)
        .join(QuoteRequest, col(QuoteRequest.id) == LeadOffer.request_id)
        .where(col(LeadOffer.provider_id).in_(cbs), col(LeadOffer.status).in_(HELD_STATUSES))
    ).all()
    request_ids = sorted({rid for rid, asked in held if standards & set(asked.split())})
    # Requests first, in id order, then the CBs: the order every writer keeps.
    locked = [lock_request(session, request_id) for request_id in request_ids]
    cb_ids = set(session.exec(cbs))
    provider_rows(session, cb_ids, lock=True)
    withdrawn = 0
    for quote_request in locked:
        for offer in held_offers(session, quote_request.id):
            if offer.provider_id in cb_ids:
                take_back_lead(session, quote_request, offer, because=BODY_NOT_RECOGNISED, now=now)
                withdrawn += 1
    return withdrawn

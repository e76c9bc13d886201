"""How an offer ends when its request does, and the polite mail its provider gets."""

from datetime import datetime

from sqlmodel import Session

from matcher import links
from matcher.businesses.state import held_offers, quote_for_offer
from matcher.models import OfferStatus, Provider, QuoteRequest, QuoteStatus
from matcher.outbox import queue_mail
from matcher.providers import track_record

SUBJECTS = {
    "accepted_other": "The business chose another provider",
    "declined": "The business declined your quote",
    "withdrawn": "The business withdrew its request",
    "closed": "A request you were offered has closed",
}


def end_open_offers(session: Session, quote_request: QuoteRequest, *, reason: str, now: datetime):
    """End every offer still open on a request and tell its provider (reason: accepted_other,
    withdrawn or closed). Offers with a firm quote are lost, the others cancelled."""
    rows = held_offers(session, quote_request.id)
    for offer in rows:
        answered = offer.status == OfferStatus.QUOTED
        offer.status = OfferStatus.LOST if answered else OfferStatus.CANCELLED
        quote = quote_for_offer(session, offer.id)
        if quote is not None and quote.status in (QuoteStatus.INDICATIVE, QuoteStatus.FIRM):
            quote.status, quote.decided_at = QuoteStatus.NOT_CHOSEN, now
            session.add(quote)
        session.add(offer)
        session.flush()
        if not answered:
            track_record.refresh_response_record(session, offer.provider_id)
        template = "request_withdrawn" if reason == "withdrawn" else "not_chosen"
        tell_provider(
            session, quote_request, offer, template=template, reason=reason, quoted=answered
        )
    return rows


def tell_provider(session, quote_request, offer, *, template: str, reason: str, quoted=True):
    """Queue the mail telling an offer's provider how it ended (reason: a key of SUBJECTS)."""
    provider = session.get(Provider, offer.provider_id)
    queue_mail(
        session,
        template=template,
        to=provider.email,
        subject=SUBJECTS[reason],
        context={
            "provider": provider,
            "offer": offer,
            "reason": reason,
            "quoted": quoted,
            "link": links.absolute_url(f"/provider/leads/{offer.id}"),
        },
        dedupe_key=f"{template}:{offer.id}",
        request_id=quote_request.id,
        provider_id=provider.id,
    )

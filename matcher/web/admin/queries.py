"""Read-only queries of the admin console, and the outbox resend action."""

from sqlalchemy import String, cast
from sqlmodel import Session, case, col, func, or_, select

from matcher.businesses.retention import MAIL_PURGED
from matcher.businesses.state import lock_request
from matcher.models import (
    AccreditationBody,
    EvidenceFile,
    LeadOffer,
    MatchRun,
    OutboxMessage,
    OutboxStatus,
    Provider,
    ProviderCountry,
    ProviderStandard,
    ProviderStatus,
    QuoteRequest,
)

PAGE_SIZE = 50
RESEND_PURGED = (
    "This mail cannot be sent again: the personal data of its request was deleted after the "
    "retention period, and with it the mail's address and text."
)


def status_counts(session: Session) -> list[tuple[str, int]]:
    """How many providers are in each status, pending first."""
    rows = session.exec(select(Provider.status, func.count()).group_by(Provider.status)).all()
    found = {status: number for status, number in rows}
    return [(status.value, found.get(status.value, 0)) for status in ProviderStatus]


def pending_change_count(session: Session) -> int:
    """Providers with accreditation or scope changes awaiting review."""
    # Rows written before nothing-waiting was stored as SQL NULL hold a JSON null; its text
    # is 'null' on both backends (PostgreSQL's json type has no equality operator).
    waiting = cast(col(Provider.pending_changes), String) != "null"
    return session.exec(select(func.count()).select_from(Provider).where(waiting)).one()


def search_providers(
    session: Session,
    *,
    q: str = "",
    status: str = "",
    kind: str = "",
    country: str = "",
    standard: str = "",
    page: int = 1,
) -> tuple[list[Provider], int]:
    """Providers matching the filters, pending first then oldest first; and the total count."""
    query = select(Provider)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Provider.name).like(like), func.lower(Provider.email).like(like))
        )
    if status:
        query = query.where(Provider.status == status)
    if kind:
        query = query.where(Provider.kind == kind)
    if country:
        query = query.where(
            col(Provider.id).in_(
                select(ProviderCountry.provider_id).where(
                    ProviderCountry.country == country.upper()
                )
            )
        )
    if standard:
        query = query.where(
            col(Provider.id).in_(
                select(ProviderStandard.provider_id).where(ProviderStandard.standard == standard)
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pending_first = case((col(Provider.status) == ProviderStatus.PENDING, 0), else_=1)
    rows = session.exec(
        query.order_by(pending_first, col(Provider.created_at), col(Provider.id))
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(rows), total


def evidence_of(session: Session, provider: Provider) -> list[EvidenceFile]:
    """Every evidence file of a provider, newest first."""
    return list(
        session.exec(
            select(EvidenceFile)
            .where(EvidenceFile.provider_id == provider.id)
            .order_by(col(EvidenceFile.uploaded_at).desc())
        )
    )


def body_of(session: Session, provider: Provider) -> AccreditationBody | None:
    """The provider's accreditation body, if any."""
    if provider.accreditation_body_id is None:
        return None
    return session.get(AccreditationBody, provider.accreditation_body_id)


def outbox(session: Session, *, page: int = 1) -> list[OutboxMessage]:
    """Outbox messages: failed first, then newest first."""
    failed_first = case((col(OutboxMessage.status) == OutboxStatus.FAILED, 0), else_=1)
    return list(
        session.exec(
            select(OutboxMessage)
            .order_by(failed_first, col(OutboxMessage.created_at).desc(), col(OutboxMessage.id))
            .offset((max(page, 1) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )


def mail_counts(session: Session) -> dict[str, int]:
    """Outbox messages per status."""
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: number for status, number in rows}


def mail_for_resend(session: Session, message_id: int) -> OutboxMessage | None:
    """Lock a mail, after its request as the purge does, and return it as committed now."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return None
    if message.request_id is not None:
        lock_request(session, message.request_id)
    return session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def resend_refusal(session: Session, message: OutboxMessage) -> str | None:
    """Why a mail may not be sent again, or None: nothing about a purged request leaves again."""
    return RESEND_PURGED if purged_mail_ids(session, [message]) else None


def purged_mail_ids(session: Session, messages: list[OutboxMessage]) -> set[int]:
    """Which of these mails belong to a purged request: they are never sent again."""
    request_ids = {m.request_id for m in messages if m.request_id is not None}
    purged_requests: set[int] = set()
    if request_ids:
        purged_requests.update(
            session.exec(
                select(QuoteRequest.id)
                .where(col(QuoteRequest.id).in_(request_ids))
                .where(col(QuoteRequest.purged_at).is_not(None))
            )
        )
    # A delivered mail keeps its status through a purge; its emptied address still tells.
    return {
        m.id
        for m in messages
        if m.status == MAIL_PURGED or not m.to_email or m.request_id in purged_requests
    }


def reset_for_resend(session: Session, message: OutboxMessage) -> None:
    """Make a mail sendable again: pending, no attempts; flush only (the caller enqueues)."""
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.last_error = None
    message.enqueued_at = None
    session.add(message)
    session.flush()


def request_queue(session: Session, statuses: list[str] | None, page: int) -> tuple[list, int]:
    """A page of requests in `statuses` (None: all), newest first, with offer counts; the total."""
    query = select(QuoteRequest).where(col(QuoteRequest.purged_at).is_(None))
    if statuses is not None:
        query = query.where(col(QuoteRequest.status).in_(statuses))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(QuoteRequest.created_at).desc(), col(QuoteRequest.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    ids = [r.id for r in rows]
    counts = dict(
        session.exec(
            select(LeadOffer.request_id, func.count())
            .where(col(LeadOffer.request_id).in_(ids))
            .group_by(LeadOffer.request_id)
        ).all()
    )
    return [(r, counts.get(r.id, 0)) for r in rows], total


def queue_sizes(session: Session) -> dict[str, int]:
    """How many live requests wait in each status."""
    rows = session.exec(
        select(QuoteRequest.status, func.count())
        .where(col(QuoteRequest.purged_at).is_(None))
        .group_by(QuoteRequest.status)
    ).all()
    return dict(rows)


def request_offers(session: Session, request_id: int) -> list[tuple[LeadOffer, Provider]]:
    """The request's offers with their providers, in the order they were made."""
    return session.exec(
        select(LeadOffer, Provider)
        .join(Provider, col(Provider.id) == LeadOffer.provider_id)
        .where(LeadOffer.request_id == request_id)
        .order_by(LeadOffer.offered_at, LeadOffer.rank)
    ).all()


def match_runs(session: Session, request_id: int) -> list[MatchRun]:
    """Every matching run of a request, newest first."""
    return session.exec(
        select(MatchRun)
        .where(MatchRun.request_id == request_id)
        .order_by(col(MatchRun.created_at).desc(), col(MatchRun.id).desc())
    ).all()

"""The audit log about a provider: one row per decision or change, read back newest first."""

from sqlmodel import Session, col, select

from matcher.models import AuditLog, Provider


def audit(
    session: Session, *, action: str, provider: Provider, reason: str | None, actor_id: int | None
) -> AuditLog:
    """Write one audit-log row about a provider; flush only."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        object_type="provider",
        object_id=provider.id,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return row


def audit_trail(session: Session, provider: Provider) -> list[AuditLog]:
    """Every audit row about a provider, newest first."""
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == "provider", AuditLog.object_id == provider.id)
            .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        )
    )

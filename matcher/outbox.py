"""Write mail and jobs to the outbox, and hand them to RQ once the transaction commits."""

import logging
import uuid
from typing import Any

from flask import current_app, has_app_context, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import event
from sqlmodel import Session, select

from matcher.models import OutboxJob, OutboxMessage

log = logging.getLogger(__name__)

_PENDING_KEY = "certmatch.outbox.new"


def queue_mail(
    session: Session,
    *,
    template: str,
    to: str,
    subject: str,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    request_id: int | None = None,
    provider_id: int | None = None,
) -> OutboxMessage | None:
    """Render templates/email/<template>.txt (+ .html) into an outbox row; flush, never commit.

    With a dedupe_key already present, nothing is written and None is returned.
    """
    if dedupe_key is not None:
        existing = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        ).first()
        if existing is not None:
            return None
    context = {**context, "subject": subject}
    body_text = render_template(f"email/{template}.txt", **context)
    try:
        body_html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound:
        body_html = None
    domain = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0].split(":")[0]
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        template=template,
        to_email=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        message_id=f"<{uuid.uuid4().hex}@{domain or 'certmatch'}>",
        request_id=request_id,
        provider_id=provider_id,
    )
    session.add(message)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(("mail", message.id))
    return message


def queue_job(session: Session, *, func: str, args: list, dedupe_key: str) -> OutboxJob | None:
    """Record a job to run after commit; asking twice with one dedupe_key records it once."""
    existing = session.exec(select(OutboxJob.id).where(OutboxJob.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return None
    job = OutboxJob(func=func, args=args, dedupe_key=dedupe_key)
    session.add(job)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(("job", job.id))
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if pending and has_app_context():
        from matcher.dispatch import enqueue_outbox_rows

        enqueue_outbox_rows(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)

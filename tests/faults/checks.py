"""What the fault tests look at afterwards: mail delivered twice, jobs failed, rows as committed."""

from collections import Counter

from rq import Queue
from rq.registry import FailedJobRegistry
from sqlmodel import select

from matcher.models import OutboxMessage


def sent_twice(sink, *, subject_prefix: str = "") -> dict[str, int]:
    """Message-ID -> copies, for every outbox message the SMTP sink received more than once."""
    copies = Counter(
        m["Message-ID"] for m in sink.messages if str(m["Subject"]).startswith(subject_prefix)
    )
    return {message_id: n for message_id, n in copies.items() if n > 1}


def delivered(sink, subject_prefix: str) -> set[str]:
    """The Message-IDs the sink received whose subject starts with `subject_prefix`."""
    return {m["Message-ID"] for m in sink.messages if str(m["Subject"]).startswith(subject_prefix)}


def outbox_ids(db, template: str) -> set[str]:
    """The Message-IDs of the outbox rows of one template, as committed now."""
    db.rollback()
    ids = set(db.exec(select(OutboxMessage.message_id).where(OutboxMessage.template == template)))
    db.rollback()
    return ids


def failed_jobs(connection, queue_names=("mail", "default")) -> dict[str, list[str]]:
    """RQ's failed-job registries of the app's queues, by queue name."""
    return {
        name: ids
        for name in queue_names
        if (ids := FailedJobRegistry(queue=Queue(name, connection=connection)).get_job_ids())
    }

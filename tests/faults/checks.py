"""What the fault tests look at afterwards: mail delivered twice, jobs failed, rows as committed."""

from collections import Counter

from rq import Queue
from rq.registry import FailedJobRegistry
from sqlmodel import select

from matcher.models import OutboxJob, OutboxMessage


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


def unfinished(db, connection) -> list[str]:
    """Outbox rows not done yet, each with its RQ job's status: what a failing test reports."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    def rq_status(job_id: str) -> str:
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            return "no RQ job"
        status = job.get_status()
        if status == "queued" and connection.lpos(f"rq:queue:{job.origin}", job_id) is None:
            return "queued, yet on no queue (popped by a worker that died)"
        return str(status)

    db.rollback()
    jobs = db.exec(select(OutboxJob).where(OutboxJob.status != "done")).all()
    mails = db.exec(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
    db.rollback()
    return [
        f"{kind} {row.id} {row.status} attempts={row.attempts} enqueued_at={row.enqueued_at} "
        f"rq={rq_status(f'outbox-{kind}-{row.id}')}"
        for kind, rows in (("job", jobs), ("mail", mails))
        for row in rows
    ]

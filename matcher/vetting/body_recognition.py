"""An admin suspends or restores an accreditation body (flush, never commit).

Once a body stops counting (suspended, or no longer recognised), CertMatch no longer vouches
for the accreditation of its CBs: the matcher already passes them over, and the leads they
hold are freed exactly as a provider suspension frees them (`matcher.quotes.withdrawal`), in the
same transaction. Each verified CB of the body gets one mail saying what happened and what it
means for it.

The CBs' own status does not change. They did nothing wrong, the admin may restore the body
tomorrow, and a CB re-accredited by another body only needs its profile updated. Their status
stays `verified`, so restoring the body makes them eligible again at once, with one mail
each to say so; the leads already freed do not come back (a provider is never offered the
same request twice).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.businesses.state import fresh
from matcher.links import absolute_url
from matcher.models import AccreditationBody, AuditLog, Provider, ProviderKind, ProviderStatus
from matcher.outbox import queue_mail
from matcher.providers.accreditation import body_is_usable
from matcher.providers.vouching import BODY_NOT_RECOGNISED
from matcher.quotes.withdrawal import free_held_leads


@dataclass(frozen=True)
class BodyChange:
    """A body after an admin pressed Suspend or Restore, and whether that changed anything."""

    body: AccreditationBody
    changed: bool


def set_body_suspended(
    session: Session, body_id: int, *, suspended: bool, actor_id: int | None, now: datetime
) -> BodyChange | None:
    """Suspend or restore a body; free its CBs' leads and tell them when that changes anything.

    Audit-logged as `actor_id`'s, only when the flag moves: a double click logs once.
    Returns the body and whether its flag moved, or None when there is no such body.
    """
    # Locked first: two admins pressing the button at once free and mail once.
    body = lock_body(session, body_id)
    if body is None:
        return None
    if body.suspended == suspended:
        return BodyChange(body=body, changed=False)
    was_usable = body_is_usable(body)
    cbs = _verified_cbs(session, body.id)
    freed = dict.fromkeys((cb.id for cb in cbs), 0)
    if was_usable and suspended:
        # Before the body row changes, like a provider suspension before the provider's.
        freed = free_held_leads(
            session,
            [cb.id for cb in cbs],
            now=now,
            # Under the CBs' locks: one whose move to another body was approved meanwhile
            # keeps its leads.
            because=lambda rows: {
                row.id: BODY_NOT_RECOGNISED
                for row in rows
                if row.accreditation_body_id == body.id and row.status == ProviderStatus.VERIFIED
            },
        )
        cbs = _verified_cbs(session, body.id)
    body.suspended = suspended
    session.add(body)
    session.add(
        AuditLog(
            actor_id=actor_id,
            action="suspend_body" if suspended else "restore_body",
            object_type="accreditation_body",
            object_id=body.id,
        )
    )
    session.flush()
    if was_usable and not body_is_usable(body):
        for cb in cbs:
            _tell_cb(session, cb, body, "provider_body_suspended", withdrawn=freed[cb.id])
    elif body_is_usable(body) and not was_usable:
        for cb in cbs:
            _tell_cb(session, cb, body, "provider_body_restored", withdrawn=0)
    return BodyChange(body=body, changed=True)


SUBJECTS = {
    "provider_body_suspended": "{acronym} accreditation no longer counts on CertMatch",
    "provider_body_restored": "{acronym} accreditation counts on CertMatch again",
}


def _verified_cbs(session: Session, body_id: int) -> list[Provider]:
    return list(
        fresh(
            session,
            select(Provider)
            .where(Provider.accreditation_body_id == body_id)
            .where(Provider.kind == ProviderKind.CERTIFICATION_BODY)
            .where(col(Provider.status) == ProviderStatus.VERIFIED)
            .order_by(Provider.id),
        )
    )


def _tell_cb(
    session: Session, cb: Provider, body: AccreditationBody, template: str, *, withdrawn: int
) -> None:
    queue_mail(
        session,
        template=template,
        to=cb.email,
        subject=SUBJECTS[template].format(acronym=body.acronym),
        context={
            "provider": cb,
            "body": body,
            "withdrawn_leads": withdrawn,
            "profile_link": absolute_url("/provider/profile"),
        },
        provider_id=cb.id,
    )


def lock_body(session: Session, body_id: int) -> AccreditationBody | None:
    """Lock a body's row for the rest of the transaction and return it, freshly read.

    FOR NO KEY UPDATE, as a plain UPDATE takes: the CBs' rows that reference the body are not
    held back by it.
    """
    return session.exec(
        select(AccreditationBody)
        .where(AccreditationBody.id == body_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()

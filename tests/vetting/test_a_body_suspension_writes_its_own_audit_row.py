"""Suspending or restoring an accreditation body writes its audit row, whoever calls it: the
admin's button, a job or a command all leave the same trail, once per change."""

from sqlmodel import select

from matcher.models import AuditLog, utcnow
from matcher.vetting.body_recognition import set_body_suspended
from tests.auth_helpers import make_admin
from tests.lead_helpers import act
from tests.market import make_body


def _trail(db, body_id: int) -> list[tuple[str, int | None]]:
    db.rollback()
    rows = db.exec(
        select(AuditLog.action, AuditLog.actor_id)
        .where(AuditLog.object_type == "accreditation_body", AuditLog.object_id == body_id)
        .order_by(AuditLog.id)
    )
    return list(rows.all())


def test_a_body_suspended_and_restored_outside_the_console_is_audit_logged_once_each(app, db):
    admin_id = make_admin(db).id
    body_id = make_body(db, "XAB").id

    for suspended in (True, True, False, False):
        act(app, set_body_suspended, body_id=body_id, suspended=suspended, actor_id=admin_id,
            now=utcnow())  # fmt: skip

    assert _trail(db, body_id) == [("suspend_body", admin_id), ("restore_body", admin_id)]

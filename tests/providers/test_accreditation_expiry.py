"""The daily expiry job: suspend expired CBs exactly once, warn 30 days ahead once."""

from datetime import date, timedelta

from sqlmodel import select

from matcher.models import AuditLog, OutboxMessage, Provider, ProviderKind, ProviderStatus
from tests.provider_factories import make_provider
from workers.providers import check_accreditation_expiry


def test_an_expired_cb_becomes_suspended_exactly_once(app, db, smtp_sink, jobs):
    expired = make_provider(
        db, email="old@cb.example", accreditation_expires_on=date.today() - timedelta(days=1)
    )
    valid = make_provider(db, accreditation_expires_on=date.today() + timedelta(days=200))
    first = check_accreditation_expiry()
    second = check_accreditation_expiry()
    assert first["suspended"] == 1 and second["suspended"] == 0
    db.commit()
    assert db.get(Provider, expired.id).status == ProviderStatus.SUSPENDED
    assert "expired" in db.get(Provider, expired.id).status_reason
    assert db.get(Provider, valid.id).status == ProviderStatus.VERIFIED
    audit = db.exec(select(AuditLog).where(AuditLog.object_id == expired.id)).all()
    assert [(row.action, row.actor_id) for row in audit] == [("suspend", None)]
    jobs()
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "old@cb.example"
    assert "suspended" in mail["Subject"]


def test_a_cb_is_warned_30_days_before_expiry_once(app, db):
    soon = make_provider(db, accreditation_expires_on=date.today() + timedelta(days=30))
    make_provider(db, accreditation_expires_on=date.today() + timedelta(days=31))
    make_provider(
        db,
        kind=ProviderKind.CONSULTANT,
        accreditation_body=None,
        insurance_expires_on=date.today() + timedelta(days=5),
    )
    assert check_accreditation_expiry()["warned"] == 2
    assert check_accreditation_expiry()["warned"] == 0
    db.commit()
    mails = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(mails) == 2
    assert mails[0].to_email == soon.email
    assert "accreditation" in mails[0].subject
    assert db.get(Provider, soon.id).status == ProviderStatus.VERIFIED


def test_a_pending_provider_with_an_old_date_is_left_to_the_admin(app, db):
    pending = make_provider(
        db, status=ProviderStatus.PENDING, accreditation_expires_on=date.today() - timedelta(days=3)
    )
    assert check_accreditation_expiry() == {"suspended": 0, "warned": 0}
    db.commit()
    assert db.get(Provider, pending.id).status == ProviderStatus.PENDING


def test_the_expiry_check_is_scheduled_daily(app):
    from workers.schedule import periodic_jobs

    options = dict((func.__name__, opts) for func, opts in periodic_jobs(app))
    assert "cron" in options["check_accreditation_expiry"]

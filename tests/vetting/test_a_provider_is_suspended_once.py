"""A provider is suspended once; late leads are freed under the lock; stale approvals refused."""

import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select, update

from matcher.db import transaction
from matcher.models import (
    AuditLog,
    LeadOffer,
    OfferStatus,
    OutboxMessage,
    Provider,
    ProviderStatus,
    utcnow,
)
from matcher.quotes import withdrawal as suspension
from matcher.vetting import body_recognition, change_review, decisions
from matcher.vetting.decisions import DecisionError
from matcher.vetting.expiry import suspend_expired
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.lead_helpers import (
    act,
    fresh,
    mails,
    matched_request,
)
from tests.market import make_body
from tests.page_helpers import csrf_token
from tests.provider_factories import make_provider
from tests.suspension_races import (
    YESTERDAY,
    only_on_postgresql,
    suspend_body_only,
)

# ---------------------------------------------------------------- 3. suspended once


def _behind_its_back(session, provider_id: int, **values) -> None:
    """Change the provider's row without touching the session's loaded copy of it, as another
    transaction committing just before the lock would."""
    session.exec(
        update(Provider)
        .where(Provider.id == provider_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _provider_mails_and_audit(db, provider_id: int) -> tuple[list[str], list[str]]:
    db.rollback()
    sent = db.exec(select(OutboxMessage.template).where(OutboxMessage.provider_id == provider_id))
    audited = db.exec(
        select(AuditLog.action).where(
            AuditLog.object_type == "provider", AuditLog.object_id == provider_id
        )
    )
    return list(sent.all()), list(audited.all())


def test_a_decision_on_a_provider_someone_else_suspended_first_is_refused(app, db):
    cb = make_provider(db, name="Twice Certifier Ltd")
    quote_request, (offer,) = matched_request(db, [cb])
    refused = pytest.raises(DecisionError, match="became suspended while you were deciding")
    # Rolled back, as the admin view rolls back a refused decision.
    with app.app_context(), refused, transaction() as session:
        provider = session.get(Provider, cb.id)  # read as verified
        _behind_its_back(session, cb.id, status=ProviderStatus.SUSPENDED, status_reason="First.")
        decisions.decide(session, provider, action="suspend", reason="Second.", actor_id=None)

    assert _provider_mails_and_audit(db, cb.id) == ([], [])
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED


def test_the_expiry_job_skips_a_cb_whose_date_was_renewed_before_it_locked(app, db, monkeypatch):
    cb = make_provider(db, name="Renewed Certifier Ltd", accreditation_expires_on=YESTERDAY)
    quote_request, (offer,) = matched_request(db, [cb])
    real = suspension.free_held_leads

    def renewed_first(session, provider_ids, **kwargs):
        _behind_its_back(
            session, cb.id, accreditation_expires_on=date.today() + timedelta(days=300)
        )
        return real(session, provider_ids, **kwargs)

    monkeypatch.setattr(suspension, "free_held_leads", renewed_first)

    assert act(app, suspend_expired, today=date.today()) == []
    assert fresh(db, Provider, cb.id).status == ProviderStatus.VERIFIED
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED
    assert _provider_mails_and_audit(db, cb.id) == ([], [])


def test_the_expiry_job_leaves_alone_a_cb_an_admin_suspended_before_it_locked(app, db, monkeypatch):
    cb = make_provider(db, name="Lapsed Certifier Ltd", accreditation_expires_on=YESTERDAY)
    real = suspension.free_held_leads

    def admin_first(session, provider_ids, **kwargs):
        _behind_its_back(
            session, cb.id, status=ProviderStatus.SUSPENDED, status_reason="Fraud suspected."
        )
        return real(session, provider_ids, **kwargs)

    monkeypatch.setattr(suspension, "free_held_leads", admin_first)

    assert act(app, suspend_expired, today=date.today()) == []
    assert fresh(db, Provider, cb.id).status_reason == "Fraud suspected."
    assert _provider_mails_and_audit(db, cb.id) == ([], [])


def test_an_admin_suspension_racing_the_expiry_job_suspends_once(app, db):
    only_on_postgresql(app)
    cb = make_provider(db, name="Lapsed Certifier Ltd", accreditation_expires_on=YESTERDAY)
    errors: list = []

    with app.app_context(), Session(app.extensions["certmatch.engine"]) as admin:
        provider = admin.get(Provider, cb.id)
        decisions.decide(
            admin, provider, action="suspend", reason="Fraud suspected.", actor_id=None
        )

        def expiry_job():
            try:
                act(app, suspend_expired, today=date.today())
            except Exception as error:  # noqa: BLE001  checked below
                errors.append(error)

        thread = threading.Thread(target=expiry_job)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the expiry job must wait for the admin's lock"
        admin.commit()
    thread.join(30)

    assert errors == []
    assert _provider_mails_and_audit(db, cb.id) == (["provider_suspend"], ["suspend"])
    assert fresh(db, Provider, cb.id).status_reason == "Fraud suspected."


# ---------------------------------------------------------------- 5. late leads, read under lock


def _late_lead_then(db, monkeypatch, then, **provider_fields):
    """A late lead, and `then(session)` run as its release job locks the first request."""
    cb = make_provider(db, name="Late Certifier Ltd", **provider_fields)
    quote_request, (offer,) = matched_request(db, [cb])
    real = suspension.lock_request

    def changed_first(session, request_id):
        then(session, cb.id)
        return real(session, request_id)

    monkeypatch.setattr(suspension, "lock_request", changed_first)
    return cb, offer


def test_a_provider_reinstated_before_the_release_job_locks_keeps_its_late_lead(
    app, db, monkeypatch
):
    def reinstated(session, provider_id):
        _behind_its_back(session, provider_id, status=ProviderStatus.VERIFIED)

    cb, offer = _late_lead_then(db, monkeypatch, reinstated, status=ProviderStatus.SUSPENDED)

    assert act(app, suspension.release_late_leads, provider_ids=[cb.id], now=utcnow()) == 0
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED


def test_the_release_job_names_the_reason_true_when_it_holds_the_lock(app, db, monkeypatch):
    body = make_body(db, "XAB")

    def suspended_too(session, provider_id):
        _behind_its_back(session, provider_id, status=ProviderStatus.SUSPENDED)

    cb, offer = _late_lead_then(db, monkeypatch, suspended_too, accreditation_body="XAB")
    suspend_body_only(db, body.id)

    assert act(app, suspension.release_late_leads, provider_ids=[cb.id], now=utcnow()) == 1
    assert fresh(db, LeadOffer, offer.id).cancelled_because == "provider_suspended"


# ---------------------------------------------------------------- 4. approving a stale proposal

SENT = "2025-01-02T03:04:05+00:00"


def _parked(db, **changes) -> Provider:
    """A UKAS CB with an accreditation change parked for review."""
    cb = make_provider(db, name="Moving Certifier Ltd")
    db.rollback()
    db.exec(
        update(Provider)
        .where(Provider.id == cb.id)
        .values(pending_changes={**changes, "submitted_at": SENT})
    )
    db.commit()
    return cb


def _approve(client, provider_id: int):
    page = f"/admin/providers/{provider_id}"
    token = csrf_token(client, page)
    return client.post(
        f"{page}/changes", data={"csrf_token": token, "action": "approve", "submitted_at": SENT}
    )


@pytest.fixture
def admin_client(app, db):
    admin = make_admin(db)
    client = app.test_client()
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def test_approving_a_move_to_a_body_suspended_since_is_refused_and_says_why(admin_client, db):
    body = make_body(db, "XAB")
    cb = _parked(db, accreditation_body_id=body.id, accreditation_number="XAB-1")
    ukas_id = cb.accreditation_body_id
    suspend_body_only(db, body.id)

    response = _approve(admin_client, cb.id)

    assert response.status_code == 409
    assert "XAB no longer counts on CertMatch" in response.get_data(as_text=True)
    kept = fresh(db, Provider, cb.id)
    assert (kept.accreditation_body_id, kept.accreditation_number) == (
        ukas_id,
        cb.accreditation_number,
    )
    assert kept.pending_changes["accreditation_body_id"] == body.id
    assert mails(db, "provider_changes_approved") == []


def test_approving_an_expiry_date_passed_since_is_refused(app, db):
    lapsed = (date.today() - timedelta(days=1)).isoformat()
    cb = _parked(db, accreditation_expires_on=lapsed)

    with app.app_context(), transaction() as session:
        provider = session.get(Provider, cb.id)
        with pytest.raises(DecisionError, match=f"expiry date, {lapsed}, has passed"):
            change_review.apply_pending_changes(session, provider, actor_id=None)
        session.rollback()

    assert fresh(db, Provider, cb.id).accreditation_expires_on == cb.accreditation_expires_on


def test_a_move_to_a_body_that_still_counts_is_approved(admin_client, db):
    body = make_body(db, "XAB")
    renewed = (date.today() + timedelta(days=400)).isoformat()
    cb = _parked(db, accreditation_body_id=body.id, accreditation_expires_on=renewed)

    assert _approve(admin_client, cb.id).status_code == 303
    moved = fresh(db, Provider, cb.id)
    assert (moved.accreditation_body_id, moved.accreditation_expires_on.isoformat()) == (
        body.id,
        renewed,
    )


def test_the_release_job_tells_each_provider_once_how_many_late_leads_it_lost(app, db):
    body = make_body(db, "XAB")
    cb = make_provider(db, name="Late Certifier Ltd", accreditation_body="XAB")
    other = make_provider(db, name="Steady Certifier Ltd")
    matched_request(db, [cb, other])
    matched_request(db, [cb])
    suspend_body_only(db, body.id)

    ids = [cb.id, other.id]
    assert act(app, suspension.release_late_leads, provider_ids=ids, now=utcnow()) == 2
    assert act(app, suspension.release_late_leads, provider_ids=ids, now=utcnow()) == 0

    (told,) = mails(db, "provider_leads_released")
    assert (told.provider_id, told.subject) == (
        cb.id,
        "2 more leads withdrawn from you on CertMatch",
    )
    assert "when your accreditation body stopped being recognised" in told.body_text
    assert "2 leads were being offered to you" in told.body_text


# ---------------------------------------------------------------- 5. the admin's body buttons


def _press_body(client, body_id: int, *, suspended: bool):
    token = csrf_token(client, "/admin/bodies")
    return client.post(
        f"/admin/bodies/{body_id}/status",
        data={"csrf_token": token, "suspended": "1" if suspended else "0"},
        follow_redirects=True,
    )


def _body_audit(db, body_id: int) -> list[str]:
    db.rollback()
    return list(
        db.exec(
            select(AuditLog.action).where(
                AuditLog.object_type == "accreditation_body", AuditLog.object_id == body_id
            )
        ).all()
    )


def test_a_second_press_of_suspend_neither_logs_nor_claims_leads_were_withdrawn(admin_client, db):
    body = make_body(db, "XAB")

    first = _press_body(admin_client, body.id, suspended=True).get_data(as_text=True)
    second = _press_body(admin_client, body.id, suspended=True).get_data(as_text=True)

    assert "XAB is suspended" in first
    assert "XAB is suspended" not in second
    assert _body_audit(db, body.id) == ["suspend_body"]


def test_restoring_a_body_that_is_not_recognised_does_not_say_recognised_again(admin_client, db):
    body = make_body(db, "XAB", recognised=False, suspended=True)

    page = _press_body(admin_client, body.id, suspended=False).get_data(as_text=True)

    assert "recognised again" not in page
    assert "XAB is no longer suspended, but it is still not recognised." in page
    assert _body_audit(db, body.id) == ["restore_body"]


def test_pressing_a_button_of_a_body_that_does_not_exist_is_a_404(admin_client, db):
    token = csrf_token(admin_client, "/admin/bodies")
    response = admin_client.post(
        "/admin/bodies/999999/status", data={"csrf_token": token, "suspended": "1"}
    )
    assert response.status_code == 404


def test_a_body_being_suspended_does_not_hold_back_a_cb_naming_it(app, db):
    only_on_postgresql(app)
    body = make_body(db, "XAB")
    cb = make_provider(db, name="Joining Certifier Ltd")
    done = threading.Event()

    def move_to_the_body():
        # The foreign key check takes FOR KEY SHARE on the body's row.
        with app.app_context(), transaction() as session:
            session.exec(
                update(Provider).where(Provider.id == cb.id).values(accreditation_body_id=body.id)
            )
        done.set()

    with app.app_context(), Session(app.extensions["certmatch.engine"]) as admin:
        body_recognition.set_body_suspended(
            admin, body.id, suspended=True, actor_id=None, now=utcnow()
        )
        thread = threading.Thread(target=move_to_the_body)
        thread.start()
        assert done.wait(5), "a row naming the body must not wait for its suspension"
        admin.commit()
    thread.join(5)

"""Admin decisions on providers: state, audit log, mail to the provider, reason required."""

import pytest
from sqlmodel import select

from matcher.models import AuditLog, Provider, ProviderStatus
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider

CASES = [
    ("verify", ProviderStatus.PENDING, ProviderStatus.VERIFIED, "verified"),
    ("reject", ProviderStatus.PENDING, ProviderStatus.REJECTED, "not accepted"),
    ("suspend", ProviderStatus.VERIFIED, ProviderStatus.SUSPENDED, "suspended"),
    ("reinstate", ProviderStatus.SUSPENDED, ProviderStatus.VERIFIED, "active again"),
]


def decide(client, provider_id: int, action: str, reason: str):
    page = f"/admin/providers/{provider_id}"
    token = csrf_token(client, page)
    return client.post(
        f"{page}/decision", data={"csrf_token": token, "action": action, "reason": reason}
    )


@pytest.fixture
def admin_client(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    client.admin = admin
    return client


@pytest.mark.parametrize(("action", "before", "after", "words"), CASES)
def test_each_decision_changes_state_writes_the_audit_log_and_mails_the_provider(
    admin_client, db, smtp_sink, jobs, action, before, after, words
):
    provider = make_provider(db, status=before, email="cb@northcert.example")
    response = decide(admin_client, provider.id, action, "Checked the UKAS certificate 0123.")
    assert response.status_code == 303
    db.commit()
    changed = db.get(Provider, provider.id)
    assert changed.status == after
    assert changed.status_reason == "Checked the UKAS certificate 0123."
    assert changed.status_changed_by_id == admin_client.admin.id
    [row] = db.exec(select(AuditLog).where(AuditLog.object_id == provider.id)).all()
    assert (row.action, row.actor_id, row.object_type) == (
        action,
        admin_client.admin.id,
        "provider",
    )
    assert row.reason == "Checked the UKAS certificate 0123."
    jobs()
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "cb@northcert.example"
    body = mail.get_body(("plain",)).get_content()
    assert words in (mail["Subject"] + body)
    assert "Checked the UKAS certificate 0123." in body


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decision_without_a_reason_is_refused_and_changes_nothing(admin_client, db, reason):
    provider = make_provider(db, status=ProviderStatus.PENDING)
    response = decide(admin_client, provider.id, "verify", reason)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "reason")
    db.commit()
    assert db.get(Provider, provider.id).status == ProviderStatus.PENDING
    assert db.exec(select(AuditLog)).all() == []


def test_a_decision_that_does_not_fit_the_status_is_refused(admin_client, db):
    provider = make_provider(db, status=ProviderStatus.PENDING)
    response = decide(admin_client, provider.id, "reinstate", "Trying anyway.")
    assert response.status_code == 409
    db.commit()
    assert db.get(Provider, provider.id).status == ProviderStatus.PENDING
    assert db.exec(select(AuditLog)).all() == []


def test_an_oversized_reason_gets_a_field_error(admin_client, db):
    provider = make_provider(db, status=ProviderStatus.PENDING)
    response = decide(admin_client, provider.id, "verify", "x" * 2001)
    assert response.status_code == 422
    db.commit()
    assert db.get(Provider, provider.id).status == ProviderStatus.PENDING


def test_a_decision_on_an_unknown_provider_is_404(admin_client):
    token = csrf_token(admin_client, "/admin/")
    response = admin_client.post(
        "/admin/providers/999/decision",
        data={"csrf_token": token, "action": "verify", "reason": "x"},
    )
    assert response.status_code == 404

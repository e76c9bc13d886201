"""The admin console: provider list, accreditation bodies, reviewed changes, the outbox."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from matcher.models import AccreditationScope, OutboxMessage, OutboxStatus, Provider, ProviderStatus
from matcher.providers.accreditation import find_body
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider


@pytest.fixture
def admin_client(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def listed_names(html: str) -> list[str]:
    return re.findall(r'/admin/providers/\d+">([^<]+)</a>', html)


def test_the_provider_list_shows_pending_first_then_oldest_first(admin_client, db):
    make_provider(db, name="Verified Old", status=ProviderStatus.VERIFIED)
    make_provider(db, name="Pending Old", status=ProviderStatus.PENDING)
    make_provider(db, name="Verified New", status=ProviderStatus.VERIFIED)
    make_provider(db, name="Pending New", status=ProviderStatus.PENDING)
    html = admin_client.get("/admin/providers").get_data(as_text=True)
    assert listed_names(html) == ["Pending Old", "Pending New", "Verified Old", "Verified New"]


def test_the_provider_list_searches_and_filters(admin_client, db):
    make_provider(db, name="Albion Certification", kind="certification_body", countries=["GB"])
    make_provider(db, name="Rhein Beratung", kind="consultant", countries=["DE"])
    make_provider(
        db,
        name="Albion Advisers",
        kind="consultant",
        countries=["GB"],
        status=ProviderStatus.PENDING,
    )

    def get(query):
        return listed_names(admin_client.get(f"/admin/providers?{query}").get_data(as_text=True))

    assert get("q=albion") == ["Albion Advisers", "Albion Certification"]
    assert get("kind=consultant") == ["Albion Advisers", "Rhein Beratung"]
    assert get("country=DE") == ["Rhein Beratung"]
    assert get("status=pending") == ["Albion Advisers"]
    assert get("q=albion&kind=certification_body") == ["Albion Certification"]
    assert admin_client.get("/admin/providers?status=bogus").status_code == 200


def test_the_provider_page_shows_evidence_body_and_expiry_warnings(admin_client, db):
    soon = date.today() + timedelta(days=10)
    provider = make_provider(db, accreditation_body="COFRAC", accreditation_expires_on=soon)
    html = admin_client.get(f"/admin/providers/{provider.id}").get_data(as_text=True)
    assert "COFRAC" in html and "recognised" in html
    assert f"Accreditation expires on {soon.isoformat()}" in html
    assert "No evidence uploaded" in html


def test_an_admin_adds_a_body_and_suspends_one(admin_client, db):
    token = csrf_token(admin_client, "/admin/bodies")
    added = admin_client.post(
        "/admin/bodies",
        data={
            "csrf_token": token,
            "acronym": "NEWAB",
            "name": "New Accreditation Body",
            "country": "Utopia",
        },
    )
    assert added.status_code == 303
    duplicate = admin_client.post(
        "/admin/bodies", data={"csrf_token": token, "acronym": "ukas", "name": "Copy"}
    )
    assert duplicate.status_code == 422
    assert field_errors(duplicate.get_data(as_text=True), "acronym")
    db.commit()
    ukas = find_body(db, "UKAS")
    suspended = admin_client.post(
        f"/admin/bodies/{ukas.id}/status", data={"csrf_token": token, "suspended": "1"}
    )
    assert suspended.status_code == 303
    db.commit()
    db.refresh(ukas)
    assert ukas.suspended is True
    assert find_body(db, "NEWAB").name == "New Accreditation Body"


def test_the_iaf_bodies_are_all_there_including_ukas_cofrac_and_sanas(admin_client, db):
    from matcher.iso.reference import accreditation_bodies

    html = admin_client.get("/admin/bodies").get_data(as_text=True)
    db.commit()
    for acronym in ("UKAS", "COFRAC", "SANAS"):
        assert find_body(db, acronym) is not None
        assert f"<strong>{acronym}</strong>" in html
    assert len(accreditation_bodies()) == html.count("<strong>")


def test_reviewed_scope_changes_go_live_only_when_the_admin_approves(admin_client, db):
    provider = make_provider(db, standards=["iso9001"], sectors=[17])
    sent = "2025-01-02T03:04:05+00:00"
    provider.pending_changes = {
        "accreditation_number": "UKAS 9999",
        "scope": [["iso9001", 18]],
        "submitted_at": sent,
    }
    db.add(provider)
    db.commit()
    token = csrf_token(admin_client, f"/admin/providers/{provider.id}")
    response = admin_client.post(
        f"/admin/providers/{provider.id}/changes",
        data={"csrf_token": token, "action": "approve", "submitted_at": sent},
    )
    assert response.status_code == 303
    db.commit()
    db.refresh(provider)
    assert provider.accreditation_number == "UKAS 9999"
    assert provider.pending_changes is None
    pairs = db.exec(select(AccreditationScope.standard, AccreditationScope.sector)).all()
    assert pairs == [("iso9001", 18)]


def test_the_outbox_lists_failed_mail_first_and_resends_it(admin_client, db, app, jobs, smtp_sink):
    from matcher.outbox import queue_mail

    db.commit()
    sent = queue_mail(
        db,
        template="account_password_reset",
        to="ok@example.com",
        subject="Fine",
        context={"link": "x", "minutes": 60},
    )
    failed = queue_mail(
        db,
        template="account_password_reset",
        to="broken@example.com",
        subject="Broken",
        context={"link": "x", "minutes": 60},
    )
    sent.status = OutboxStatus.SENT
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 6, "SMTP down"
    db.commit()
    html = admin_client.get("/admin/mail").get_data(as_text=True)
    assert html.index("broken@example.com") < html.index("ok@example.com")
    token = csrf_token(admin_client, "/admin/mail")
    response = admin_client.post(f"/admin/mail/{failed.id}/resend", data={"csrf_token": token})
    assert response.status_code == 303
    db.commit()
    db.refresh(failed)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 0)
    jobs()
    assert [m["To"] for m in smtp_sink.wait_for(1)] == ["broken@example.com"]
    db.commit()
    assert db.get(OutboxMessage, failed.id).status == OutboxStatus.SENT


def test_unknown_admin_objects_are_404(admin_client):
    assert admin_client.get("/admin/providers/4242").status_code == 404
    token = csrf_token(admin_client, "/admin/mail")
    assert (
        admin_client.post("/admin/mail/4242/resend", data={"csrf_token": token}).status_code == 404
    )


def test_the_dashboard_counts_providers_by_status(admin_client, db):
    make_provider(db, status=ProviderStatus.PENDING)
    make_provider(db, status=ProviderStatus.PENDING)
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "2 pending" in html
    assert db.exec(select(Provider)).all()

"""A verified consultant's new qualifications wait for an admin before a business sees them."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from matcher.models import (
    AuditLog,
    Provider,
    ProviderKind,
    ProviderStatus,
    QuoteStatus,
)
from matcher.providers import profile_edits
from matcher.quotes.comparison import verification_badge
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.lead_helpers import act, indicative_quote, login_as, mails, matched_request, request_path
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider, qualification_names, waiting_qualifications

EXPIRES = date.today() + timedelta(days=400)
CHECKED = {"name": "IRCA lead auditor ISO 9001", "issuer": "CQI/IRCA", "number": "IR-42"}
NEW = {"name": "Lead auditor ISO 14001", "issuer": "Exemplar Global", "number": "EG-7"}


def _consultant(db, *qualifications, status=ProviderStatus.VERIFIED):
    return make_provider(
        db, kind=ProviderKind.CONSULTANT, accreditation_body=None, status=status,
        name="Jane Doe Consulting", standards=["iso9001"], sectors=[17],
        qualifications=[{**q, "expires_on": EXPIRES} for q in qualifications],
    )  # fmt: skip


@pytest.fixture
def consultant(client, db):
    """A verified consultant with one checked qualification, logged in on `client`."""
    provider = _consultant(db, CHECKED)
    login_as(client, db, provider)
    return provider


@pytest.fixture
def admin(app, db):
    """A second client, logged in as an admin (who also receives the review notices)."""
    user = make_admin(db, email="ops@certmatch.example")
    admin_client = app.test_client()
    assert login(admin_client, user.email, ADMIN_PASSWORD).status_code == 303
    return admin_client


def _save(client, *qualifications):
    """Post the consultant's profile with these qualification rows (nothing else changed)."""
    data = {
        "csrf_token": csrf_token(client, "/provider/profile"),
        "name": "Jane Doe Consulting", "country": "GB", "countries": ["GB"],
        "standards": ["iso9001"], "sectors": ["17"], "min_employees": "1",
        "max_employees": "500", "monthly_cap": "20", "day_rate": "950.00", "currency": "GBP",
        "package_pricing": "fixed",
    }  # fmt: skip
    for index, row in enumerate(qualifications):
        values = {"expires_on": EXPIRES.isoformat(), **row}
        data |= {f"qualifications-{index}-{name}": value for name, value in values.items()}
    return client.post("/provider/profile", data=data)


def _review(admin_client, db, provider_id: int, action: str, **extra):
    page = f"/admin/providers/{provider_id}"
    html = admin_client.get(page).get_data(as_text=True)
    submitted = re.search(r'name="submitted_at" value="([^"]*)"', html)
    data = {
        "csrf_token": csrf_token(admin_client, page),
        "action": action,
        "submitted_at": submitted.group(1) if submitted else "",
        **extra,
    }
    return admin_client.post(f"{page}/changes", data=data)


def _audit(db, provider_id: int) -> list[tuple[str, str | None]]:
    db.rollback()
    query = select(AuditLog.action, AuditLog.reason).where(
        AuditLog.object_type == "provider", AuditLog.object_id == provider_id
    )
    return list(db.exec(query.order_by(AuditLog.id)))


def _badge_on_business_page(app, db, provider_id: int) -> str:
    """The "Verified by CertMatch" cell a business sees for this consultant's quote."""
    provider = db.get(Provider, provider_id)
    quote_request, (offer,) = matched_request(db, [provider], service="consultancy")
    quote = indicative_quote(db, offer, day_rate=None, travel=None, stage1_days=None)
    quote.kind, quote.fee_type, quote.fee = "consultant", "fixed", 5000
    db.add(quote)
    db.commit()
    assert quote.status == QuoteStatus.INDICATIVE
    page = app.test_client().get(request_path(app, quote_request)).get_data(as_text=True)
    row = re.search(r'<th scope="row">Verified by CertMatch</th>(.*?)</tr>', page, re.S)
    return row.group(1)


def _badge(db, provider_id: int) -> str:
    db.rollback()
    return " | ".join(verification_badge(db, db.get(Provider, provider_id)))


def test_a_new_qualification_waits_and_the_business_never_sees_it(
    app, client, db, consultant, admin
):
    response = _save(client, CHECKED, NEW)
    assert response.status_code == 303
    assert "wait for an admin" in client.get(response.location).get_data(as_text=True)

    assert qualification_names(db, consultant.id) == [CHECKED["name"]]
    assert waiting_qualifications(db, consultant.id) == [NEW["name"]]
    assert NEW["name"] not in _badge(db, consultant.id)
    cell = _badge_on_business_page(app, db, consultant.id)
    assert "IRCA lead auditor ISO 9001 (CQI/IRCA)" in cell
    assert NEW["name"] not in cell
    summary = (
        f"qualification +Lead auditor ISO 14001 (Exemplar Global, no. EG-7, valid until {EXPIRES})"
    )
    assert _audit(db, consultant.id)[-1] == ("propose_changes", summary)
    (notice,) = mails(db, "admin_qualification_changes")
    assert notice.to_email == "ops@certmatch.example"
    assert summary.removeprefix("qualification +") in notice.body_text
    assert f"/admin/providers/{consultant.id}" in notice.body_text

    profile = client.get("/provider/profile").get_data(as_text=True)
    waiting = re.search(r'id="qualifications-waiting">(.*?)</div>', profile, re.S).group(1)
    assert "Waiting for review" in waiting and NEW["name"] in waiting
    assert CHECKED["name"] not in waiting
    assert f'value="{NEW["name"]}"' in profile  # the form shows what waits, to edit or withdraw
    admin_page = admin.get(f"/admin/providers/{consultant.id}").get_data(as_text=True)
    assert "Changes waiting for review" in admin_page and NEW["name"] in admin_page


def test_approving_shows_the_qualification_to_the_business(app, client, db, consultant, admin):
    _save(client, CHECKED, NEW)

    response = _review(admin, db, consultant.id, "approve")

    assert response.status_code == 303
    assert qualification_names(db, consultant.id) == [CHECKED["name"], NEW["name"]]
    assert waiting_qualifications(db, consultant.id) == []
    cell = _badge_on_business_page(app, db, consultant.id)
    assert f"Lead auditor ISO 14001 (Exemplar Global), valid until {EXPIRES}" in cell
    assert _audit(db, consultant.id)[-1] == ("approve_changes", None)
    (told,) = mails(db, "provider_changes_approved")
    assert told.to_email == consultant.email
    assert NEW["name"] in told.body_text
    profile = client.get("/provider/profile").get_data(as_text=True)
    assert 'id="qualifications-waiting"' not in profile


def test_refusing_discards_it_with_a_mail_to_the_provider(app, client, db, consultant, admin):
    _save(client, CHECKED, NEW)

    response = _review(admin, db, consultant.id, "refuse", reason="The EG-7 number is unknown.")

    assert response.status_code == 303
    assert qualification_names(db, consultant.id) == [CHECKED["name"]]
    assert waiting_qualifications(db, consultant.id) == []
    assert NEW["name"] not in _badge_on_business_page(app, db, consultant.id)
    assert _audit(db, consultant.id)[-1] == ("refuse_changes", "The EG-7 number is unknown.")
    (told,) = mails(db, "provider_changes_refused")
    assert told.to_email == consultant.email
    assert "The EG-7 number is unknown." in told.body_text
    assert NEW["name"] in told.body_text
    assert f'value="{NEW["name"]}"' not in client.get("/provider/profile").get_data(as_text=True)


def test_refusing_without_a_reason_gets_a_field_error_and_changes_nothing(
    client, db, consultant, admin
):
    _save(client, CHECKED, NEW)

    response = _review(admin, db, consultant.id, "refuse", reason="  ")

    assert response.status_code in (409, 422)
    assert field_errors(response.get_data(as_text=True), "changes-reason")
    assert waiting_qualifications(db, consultant.id) == [NEW["name"]]
    assert mails(db, "provider_changes_refused") == []


def test_an_admin_cannot_approve_a_proposal_replaced_since_the_page_was_read(
    client, db, consultant, admin
):
    _save(client, CHECKED, NEW)
    page = f"/admin/providers/{consultant.id}"
    html = admin.get(page).get_data(as_text=True)
    seen = re.search(r'name="submitted_at" value="([^"]*)"', html).group(1)
    swapped = {**NEW, "name": "Lead auditor ISO 27001", "number": "EG-8"}
    assert _save(client, CHECKED, swapped).status_code == 303

    response = admin.post(
        f"{page}/changes",
        data={"csrf_token": csrf_token(admin, page), "action": "approve", "submitted_at": seen},
    )

    assert response.status_code == 409
    assert qualification_names(db, consultant.id) == [CHECKED["name"]]
    assert waiting_qualifications(db, consultant.id) == ["Lead auditor ISO 27001"]


def test_removing_a_qualification_takes_effect_at_once(app, client, db, admin):
    provider = _consultant(db, CHECKED, NEW)
    login_as(client, db, provider)

    assert _save(client, NEW).status_code == 303

    assert qualification_names(db, provider.id) == [NEW["name"]]
    assert waiting_qualifications(db, provider.id) == []
    assert CHECKED["name"] not in _badge_on_business_page(app, db, provider.id)
    assert _audit(db, provider.id) == [
        ("change_qualifications", f"qualifications now: {NEW['name']}")
    ]
    assert mails(db, "admin_qualification_changes") == []


def test_a_changed_qualification_drops_the_old_one_and_the_new_one_waits(client, db, consultant):
    renewed = {**CHECKED, "expires_on": (EXPIRES + timedelta(days=1000)).isoformat()}

    assert _save(client, renewed).status_code == 303

    # The old row is no longer what the consultant claims; the new one is not checked yet.
    assert qualification_names(db, consultant.id) == []
    assert waiting_qualifications(db, consultant.id) == [CHECKED["name"]]
    assert _badge(db, consultant.id) == "Verified consultant"


def test_sending_the_proposal_again_keeps_one_review_and_the_checked_rows_withdraw_it(
    client, db, consultant, admin
):
    _save(client, CHECKED, NEW)
    assert _save(client, CHECKED, NEW).status_code == 303
    assert len(mails(db, "admin_qualification_changes")) == 1
    assert [action for action, _ in _audit(db, consultant.id)].count("propose_changes") == 1

    assert _save(client, CHECKED).status_code == 303

    assert waiting_qualifications(db, consultant.id) == []
    assert _audit(db, consultant.id)[-1] == ("withdraw_changes", None)
    assert qualification_names(db, consultant.id) == [CHECKED["name"]]


def test_a_provider_not_yet_verified_edits_its_qualifications_freely(app, db):
    provider = _consultant(db, CHECKED, status=ProviderStatus.PENDING)
    rows = [{**CHECKED, "expires_on": EXPIRES}, {**NEW, "expires_on": EXPIRES}]

    def save(session, provider_id):
        provider = session.get(Provider, provider_id)
        return profile_edits.save_profile(
            session, provider, fields={}, coverage_lists={}, reviewed={},
            qualifications=rows, actor_id=None,
        )  # fmt: skip

    # Its whole application is reviewed at verification: nothing waits on its own.
    assert act(app, save, provider_id=provider.id) is False
    assert qualification_names(db, provider.id) == [CHECKED["name"], NEW["name"]]
    assert waiting_qualifications(db, provider.id) == []
    assert mails(db, "admin_qualification_changes") == []


def test_the_review_page_gives_every_field_its_own_id(client, db, consultant, admin):
    """Two forms on one page (decision, review) must not share ids: labels find their field."""
    _save(client, CHECKED, NEW)
    page = admin.get(f"/admin/providers/{consultant.id}").get_data(as_text=True)
    assert 'id="changes-reason"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    # Every form's hidden CSRF input is id="csrf_token": hidden, never labelled.
    assert sorted({i for i in ids if ids.count(i) > 1} - {"csrf_token"}) == []
    for target in re.findall(r'<label[^>]*\bfor="([^"]+)"', page):
        assert target in ids, f"label for {target!r} points at nothing"

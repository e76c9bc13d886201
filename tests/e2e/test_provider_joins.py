"""A consultant applies in the browser, an admin verifies it, and leads start to reach it."""

import pytest
from sqlmodel import select

from matcher.iso.reference import STANDARDS
from matcher.models import Provider, RequestStatus, utcnow
from tests.auth_helpers import ADMIN_PASSWORD, PROVIDER_PASSWORD, enrol_two_factor, make_admin
from tests.e2e.journeys import body_of, link_in, mail_to, main_text, sign_in
from tests.factories import make_request

pytestmark = pytest.mark.e2e

JO = "jo@qualitypartners.example"
ADMIN = "admin@certmatch.example"
REASON = "Checked the IRCA lead auditor certificate and the indemnity insurance."


def _fill_join_form(page, *, website: str) -> None:
    page.check("input[name=kind][value=consultant]")
    page.fill("#email", JO)
    page.fill("#password", PROVIDER_PASSWORD)
    page.fill("#confirm", PROVIDER_PASSWORD)
    page.fill("#name", "Quality Partners Ltd")
    page.fill("#website", website)
    page.select_option("#country", "GB")
    page.select_option("#countries", ["GB", "IE"])
    page.check("input[name=standards][value=iso9001]")
    page.fill("#day_rate", "650")
    page.select_option("#currency", "GBP")
    page.fill("#qualification_name", "IRCA lead auditor ISO 9001")


def _waiting_request(db) -> int:
    """A confirmed request for ISO 9001 consultancy that no verified provider fitted."""
    now = utcnow()
    quote_request = make_request(
        db,
        service="consultancy",
        status=RequestStatus.UNMATCHED,
        confirmed_at=now,
        matched_at=now,
    )
    return quote_request.id


def _applies_and_confirms(page, live_server, jobs, smtp_sink) -> None:
    page.goto(f"{live_server}/provider/join")
    _fill_join_form(page, website="qualitypartners")
    page.get_by_role("button", name="Apply to join").click()
    # The one bad field says what is wrong; everything else typed is still there.
    assert "https://example.com" in page.inner_text("#website-error")
    assert page.input_value("#name") == "Quality Partners Ltd"
    assert page.input_value("#email") == JO
    assert page.is_checked("input[name=kind][value=consultant]")
    assert page.is_checked("input[name=standards][value=iso9001]")
    chosen = page.eval_on_selector("#countries", "s => [...s.selectedOptions].map(o => o.value)")
    assert sorted(chosen) == ["GB", "IE"]
    assert page.input_value("#day_rate") == "650"
    assert page.input_value("#qualification_name") == "IRCA lead auditor ISO 9001"

    # Passwords are never sent back to the browser: typed again, with the address fixed.
    page.fill("#password", PROVIDER_PASSWORD)
    page.fill("#confirm", PROVIDER_PASSWORD)
    page.fill("#website", "https://qualitypartners.example")
    page.get_by_role("button", name="Apply to join").click()
    page.wait_for_url("**/provider/join/sent")

    jobs()
    page.goto(live_server + link_in(mail_to(smtp_sink, JO, "Confirm your e-mail address")))
    page.wait_for_url("**/login")
    assert "your e-mail address is confirmed" in main_text(page)
    sign_in(page, live_server, JO, PROVIDER_PASSWORD)
    page.wait_for_url("**/provider/**")
    assert "under review" in main_text(page)


def test_a_consultant_joins_is_verified_by_an_admin_and_then_sees_leads(
    live_server, desktop, db, jobs, smtp_sink
):
    request_id = _waiting_request(db)
    secret = enrol_two_factor(db, make_admin(db, ADMIN, with_two_factor=False))
    jo = desktop()
    _applies_and_confirms(jo, live_server, jobs, smtp_sink)

    db.rollback()
    provider_id = db.exec(select(Provider.id).where(Provider.email == JO)).one()
    db.rollback()
    admin = desktop()
    sign_in(admin, live_server, ADMIN, ADMIN_PASSWORD, secret=secret)
    admin.wait_for_url("**/admin/")
    admin.goto(f"{live_server}/admin/providers/{provider_id}")
    decision = admin.locator("form[action$='/decision']")
    decision.locator("input[name=action][value=verify]").check()
    decision.locator("textarea[name=reason]").fill(REASON)
    decision.get_by_role("button", name="Record decision and tell the provider").click()
    admin.wait_for_selector("text=Quality Partners Ltd is now verified")

    # The request nobody fitted: re-running matching now finds the new consultant.
    admin.goto(f"{live_server}/admin/requests/{request_id}")
    admin.get_by_role("button", name="Re-run matching").click()
    admin.wait_for_selector("text=1 new provider invited.")

    jo.goto(f"{live_server}/provider/")
    assert f"{STANDARDS['iso9001']} · 45 employees" in main_text(jo)
    assert "under review" not in main_text(jo)

    jobs()
    verified = mail_to(smtp_sink, JO, "Your CertMatch profile is verified")
    assert REASON in body_of(verified)
    mail_to(smtp_sink, JO, "New lead")

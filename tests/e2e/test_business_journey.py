"""A business owner on a phone: fill in the form, confirm by mail, see the request queued."""

import pytest
from sqlmodel import select

from matcher.models import QuoteRequest
from tests.e2e.journeys import fill_request_form
from tests.page_helpers import request_link

pytestmark = pytest.mark.e2e


def test_a_business_requests_quotes_and_confirms_from_a_phone(
    live_server, phone, db, jobs, smtp_sink, tmp_path
):
    phone.goto(f"{live_server}/quote")
    fill_request_form(phone, consent=False)
    phone.click("button[type=submit]")
    # Consent forgotten: the form comes back with the message and keeps what was typed.
    assert phone.locator("#consent-error").inner_text().startswith("Please agree")
    assert phone.input_value("#company_name") == "Acme Widgets Ltd"
    assert phone.is_checked("input[name=standards][value=iso9001]")

    phone.check("#consent")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/quote/thanks")
    assert "check your e-mail" in phone.inner_text("h1").lower()

    jobs()
    (mail,) = smtp_sink.wait_for(1)
    phone.goto(live_server + request_link(mail))
    assert phone.is_visible("text=Confirm my request")
    phone.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    phone.click("text=Confirm my request")
    phone.wait_for_load_state()
    db.expire_all()
    assert db.exec(select(QuoteRequest.status)).one() == "confirmed"
    db.rollback()


def test_the_request_form_fits_a_phone_screen(live_server, phone):
    phone.goto(f"{live_server}/quote")
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, "no sideways scrolling on a phone"

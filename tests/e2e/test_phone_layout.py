"""The pages people read on a phone fit a 390 px screen: no sideways scrolling."""

import pytest
from sqlmodel import select

from matcher.leads import offers
from matcher.models import LeadOffer
from tests.auth_helpers import PROVIDER_PASSWORD, make_provider_user
from tests.e2e.journeys import PHONE_WIDTH, page_width, sign_in
from tests.lead_helpers import act, request_path
from tests.market import confirmed_request
from tests.provider_factories import make_provider

pytestmark = pytest.mark.e2e

LONG_NOTES = (
    "We make metal brackets, hinges and fixings for the building trade, with a paint line "
    "and a small design office; ISO 9001:2015 certification is a condition of our largest "
    "customer's supplier approval programme."
)


def _matched_request(app, db):
    """A request matched to three CBs with long names; return it, the first CB and its offer id."""
    names = (
        "Northern Certification and Assurance Services Ltd",
        "Pennine Quality Assurance Limited",
        "Ridings Audit Services",
    )
    # A price list that states travel: its indicative quote can be confirmed as it is.
    cbs = [make_provider(db, name=name, country="GB", travel_policy="included") for name in names]
    quote_request = confirmed_request(db, notes=LONG_NOTES)
    act(app, offers.match_request, request_id=quote_request.id)
    db.rollback()
    offer_id = db.exec(select(LeadOffer.id).where(LeadOffer.provider_id == cbs[0].id)).one()
    db.rollback()
    return quote_request, cbs[0], offer_id


def test_the_comparison_and_the_lead_page_fit_a_phone_screen(app, live_server, phone, db):
    quote_request, cb, offer_id = _matched_request(app, db)
    make_provider_user(db, cb)

    sign_in(phone, live_server, cb.email, PROVIDER_PASSWORD)
    phone.wait_for_url("**/provider/")
    assert page_width(phone) <= PHONE_WIDTH, "the lead inbox scrolls sideways"
    phone.goto(f"{live_server}/provider/leads/{offer_id}")
    assert phone.is_visible("#quote form")
    assert "how travel is charged" not in phone.inner_text("#quote")
    assert page_width(phone) <= PHONE_WIDTH, "the lead page with its quote form scrolls sideways"
    # One click confirms the indicative figures as a firm quote: its sum is shown instead.
    phone.get_by_role("button", name="Confirm as firm quote").click()
    phone.wait_for_selector("#your-quote")
    assert page_width(phone) <= PHONE_WIDTH, "the lead page with the firm quote scrolls sideways"

    phone.goto(live_server + request_path(app, quote_request))
    quote_row = phone.locator("table.compare tr", has_text="Quote").first
    assert quote_row.locator(".badge", has_text="Firm").count() == 1
    assert quote_row.locator(".badge", has_text="Indicative").count() == 2
    assert page_width(phone) <= PHONE_WIDTH, "the business's comparison scrolls sideways"

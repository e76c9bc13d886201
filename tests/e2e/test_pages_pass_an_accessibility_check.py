"""The pages of the three journeys pass axe-core: no serious or critical violation, on a laptop
and on a phone. Screenshots of each page land in tests/e2e/screenshots/ (git-ignored)."""

from pathlib import Path

import pytest
from sqlmodel import select

from matcher.leads import offers
from matcher.models import LeadOffer, ProviderStatus
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    enrol_two_factor,
    make_admin,
    make_provider_user,
)
from tests.e2e.journeys import sign_in
from tests.lead_helpers import act, request_path
from tests.market import confirmed_request
from tests.provider_factories import make_provider

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")
ADMIN = "admin@certmatch.example"


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _market(app, db):
    """Three CBs and a request matched to them, one quote made firm; a pending CB for the admin."""
    cbs = [
        make_provider(db, name=name, country="GB", travel_policy="included")
        for name in ("Northern Certification Ltd", "Pennine Quality Ltd", "Ridings Audit")
    ]
    pending = make_provider(db, name="Dales Assurance", status=ProviderStatus.PENDING)
    quote_request = confirmed_request(db)
    act(app, offers.match_request, request_id=quote_request.id)
    db.rollback()
    offer_id = db.exec(select(LeadOffer.id).where(LeadOffer.provider_id == cbs[0].id)).one()
    db.rollback()
    return quote_request, cbs[0], offer_id, pending


def _check(axe, page, name: str) -> list[str]:
    """Run axe on the page as it stands, keep a screenshot; the blocking violations, worded."""
    width = page.viewport_size["width"]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    results = axe.run(page, options={"resultTypes": ["violations"]})
    # Every violation, minor ones too, kept beside the screenshot for whoever polishes next.
    report = SCREENSHOTS / f"{name}-{width}.axe.txt"
    report.write_text(results.generate_report() if results.violations_count else "")
    return [
        f"{name} at {width} px: {v['id']} ({v['impact']}): "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_journeys_pages_have_no_serious_accessibility_violation(
    app, live_server, browser, db, axe, width
):
    quote_request, cb, offer_id, pending = _market(app, db)
    make_provider_user(db, cb)
    admin = make_admin(db, ADMIN, with_two_factor=False)
    secret = enrol_two_factor(db, admin)
    found = []

    business = browser.new_context(viewport={"width": width, "height": 900})
    page = business.new_page()
    page.goto(live_server)
    found += _check(axe, page, "landing")
    page.goto(f"{live_server}/quote")
    found += _check(axe, page, "request-form")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_selector("[data-error-summary]")
    # static/forms.js (script-src 'self') takes the reader to the summary, and a link to its field.
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    page.locator("[data-error-summary] a[href='#email']").click()
    assert page.evaluate("document.activeElement.id") == "email"
    found += _check(axe, page, "request-form-errors")

    provider = browser.new_context(viewport={"width": width, "height": 900})
    lead = provider.new_page()
    sign_in(lead, live_server, cb.email, PROVIDER_PASSWORD)
    lead.wait_for_url("**/provider/")
    found += _check(axe, lead, "provider-inbox")
    lead.goto(f"{live_server}/provider/leads/{offer_id}")
    found += _check(axe, lead, "provider-lead")
    lead.get_by_role("button", name="Confirm as firm quote").click()
    lead.wait_for_selector("#your-quote")

    page.goto(live_server + request_path(app, quote_request))
    found += _check(axe, page, "business-quotes")

    staff = browser.new_context(viewport={"width": width, "height": 900})
    desk = staff.new_page()
    sign_in(desk, live_server, ADMIN, ADMIN_PASSWORD, secret=secret)
    desk.wait_for_url("**/admin/")
    desk.goto(f"{live_server}/admin/providers/{pending.id}")
    found += _check(axe, desk, "admin-provider")
    desk.goto(f"{live_server}/admin/requests/{quote_request.id}")
    found += _check(axe, desk, "admin-request")
    for context in (business, provider, staff):
        context.close()
    assert found == []

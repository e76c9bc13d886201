"""The whole deal in the browser: a business asks, a CB quotes firm, the business accepts."""

import pytest

from matcher.iso.reference import STANDARDS, iaf_sectors
from tests.auth_helpers import PROVIDER_PASSWORD, make_provider_user
from tests.e2e.journeys import body_of, fill_request_form, link_in, mail_to, main_text, sign_in
from tests.provider_factories import make_provider

pytestmark = pytest.mark.e2e

BUSINESS = "ann@acme.example"
# Contact details typed into the notes: providers must never read them before the deal.
NOTES = (
    "We make metal brackets for the building trade. "
    "Please call 07700 900123 or write to ann.smith@acme.example; "
    "www.acme-widgets.example shows our products."
)
NEVER_IN_THE_BRIEF = (
    "Acme",
    "Ann Smith",
    BUSINESS,
    "020 7946 0958",
    "2079460958",
    "07700 900123",
    "ann.smith@",
    "www.",
)
# The firm CB quote: (1.5 + 2.5 + 2 x 1.5) days x 1,000 + 200 + 150 + 2 x 300 + 400 travel.
FIRM_QUOTE = {
    "stage1_days": "1.5",
    "stage2_days": "2.5",
    "surveillance_days": "1.5",
    "recertification_days": "3",
    "day_rate": "1000",
    "application_fee": "200",
    "certificate_fee": "150",
    "annual_fee": "300",
    "travel_estimate": "400",
}
FIRM_TOTAL = "8,350.00 GBP"


def _seed_market(db):
    """Three UKAS-accredited CBs for ISO 9001 in sector 17 in GB; Northern's sales lead logs in."""
    northern = make_provider(
        db, name="Northern Certification Ltd", email="office@northcert.example", region="Leeds"
    )
    make_provider(db, name="Pennine Assurance Ltd", email="office@pennine.example")
    make_provider(db, name="Ridings Audit Services", email="office@ridings.example")
    make_provider_user(db, northern, email="sales@northcert.example")
    db.commit()
    return northern


def _business_confirms(phone, live_server, jobs, smtp_sink) -> str:
    """The business fills the form on its phone and confirms from the mail; return its link."""
    phone.goto(f"{live_server}/quote")
    fill_request_form(phone, notes=NOTES)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/quote/thanks")
    jobs()
    link = link_in(mail_to(smtp_sink, BUSINESS, "Confirm your CertMatch request"))
    phone.goto(live_server + link)
    phone.get_by_role("button", name="Confirm my request").click()
    phone.wait_for_selector("text=We are finding up to three verified providers")
    jobs()  # the match job, then the mails it wrote
    return link


def _sales_lead_sends_firm_quote(sales, live_server) -> None:
    """Northern's sales lead opens the lead from the inbox and sends the structured CB quote."""
    sign_in(sales, live_server, "sales@northcert.example", PROVIDER_PASSWORD)
    sales.wait_for_url("**/provider/")
    inbox = main_text(sales)
    assert f"{STANDARDS['iso9001']} · 45 employees" in inbox
    sales.get_by_role("link", name="Quote or decline").click()
    sales.wait_for_url("**/provider/leads/*")

    brief = sales.inner_text("dl.brief")
    assert STANDARDS["iso9001"] in brief
    assert f"17. {iaf_sectors()[17]}" in brief
    assert "45" in brief
    assert "We make metal brackets" in brief
    assert "[phone removed]" in brief and "[e-mail removed]" in brief
    page = main_text(sales)
    for secret in NEVER_IN_THE_BRIEF:
        assert secret.lower() not in page.lower(), f"{secret!r} shown before the deal"
    assert "shared with you only if it accepts your quote" in page

    # Northern's price list states no travel policy: the one-click confirm needs it first.
    assert "does not say how travel is charged" in sales.inner_text("#quote")
    for name, value in FIRM_QUOTE.items():
        sales.fill(f"#{name}", value)
    sales.select_option("#travel", "estimate")
    sales.fill("#message", "We can start stage 1 next month.")
    sales.click("#quote button[type=submit]")
    sales.wait_for_selector("text=your firm quote is sent")
    assert FIRM_TOTAL in sales.inner_text("#your-quote")


def test_a_business_gets_a_firm_quote_accepts_it_and_both_sides_meet(
    live_server, phone, desktop, db, jobs, smtp_sink
):
    northern = _seed_market(db)
    _business_confirms(phone, live_server, jobs, smtp_sink)
    lead_mail = body_of(mail_to(smtp_sink, northern.email, "New lead")).lower()
    for secret in NEVER_IN_THE_BRIEF:
        assert secret.lower() not in lead_mail, f"{secret!r} in the lead mail"

    sales = desktop()
    _sales_lead_sends_firm_quote(sales, live_server)
    jobs()
    firm_mail = mail_to(smtp_sink, BUSINESS, "Northern Certification Ltd sent you a firm quote")

    # The business compares on its phone: one firm quote beside two indicative ones.
    phone.goto(live_server + link_in(firm_mail))
    phone.wait_for_selector("table.compare")
    columns = phone.locator("table.compare thead th[id^=quote-]")
    assert sorted(columns.all_inner_texts()) == [
        "Northern Certification Ltd\nCertification body",
        "Pennine Assurance Ltd\nCertification body",
        "Ridings Audit Services\nCertification body",
    ]
    quote_row = phone.locator("table.compare tr", has_text="Quote").first
    assert quote_row.locator(".badge", has_text="Firm").count() == 1
    assert quote_row.locator(".badge", has_text="Indicative").count() == 2
    assert FIRM_TOTAL in phone.inner_text("table.compare")
    accept_buttons = phone.get_by_role("button", name="Accept this quote")
    assert accept_buttons.count() == 1, "only the firm quote can be accepted"
    firm_id = columns.filter(has_text="Northern").get_attribute("id").removeprefix("quote-")
    assert phone.locator(f"form[action$='/quotes/{firm_id}/accept']").count() == 1

    accept_buttons.click()
    phone.wait_for_selector("text=You accepted the quote")
    contact = phone.inner_text("#provider-contact")
    assert "Northern Certification Ltd" in contact and "office@northcert.example" in contact

    sales.reload()
    business = sales.inner_text("#business-contact")
    for detail in ("Acme Widgets Ltd", "Ann Smith", BUSINESS, "7946"):
        assert detail in business
    assert "accepted your quote" in main_text(sales)

    jobs()
    mail_to(smtp_sink, BUSINESS, "You accepted the quote from Northern Certification Ltd")
    told = mail_to(smtp_sink, northern.email, "Your quote was accepted")
    assert "Ann Smith" in body_of(told) and BUSINESS in body_of(told)
    for other in ("office@pennine.example", "office@ridings.example"):
        assert "acme" not in body_of(mail_to(smtp_sink, other, "chose another provider")).lower()

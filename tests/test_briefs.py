"""The anonymised brief: what a provider may read before the business accepts its quote."""

import re

import pytest
from flask import render_template
from sqlmodel import select

from matcher.briefs import (
    EMAIL_REMOVED,
    LINK_REMOVED,
    NAME_REMOVED,
    PHONE_REMOVED,
    budget_band,
    build_brief,
    scrub_notes,
)
from matcher.models import LeadOffer
from tests.auth_helpers import PROVIDER_PASSWORD, login, make_provider_user
from tests.market import confirmed_request, fresh, make_cb
from workers.matching import match_request

NOTES = (
    "Ask for Ann Smith at Acme Widgets Ltd: ann.smith@acme.example, +44 20 7946 0958 or "
    "(0113) 496 0000, ann [at] acme [dot] example. See https://acme.example/about and "
    "www.acme-widgets.co.uk. We need ISO 9001:2015 and ISO 14001 by 2026-09-30 for 45 staff."
)
SECRETS = (
    "Ann",
    "Smith",
    "Acme",
    "ann.smith@acme.example",
    "7946",
    "0958",
    "496 0000",
    "acme.example",
    "acme-widgets",
    "https://",
    "www.",
)


def leaks(shown: str) -> list[str]:
    """The secrets that appear in `shown` as whole words (so "Ann" is not "annual")."""
    found = []
    for secret in SECRETS:
        before = r"(?<!\w)" if secret[0].isalnum() else ""
        after = r"(?!\w)" if secret[-1].isalnum() else ""
        if re.search(before + re.escape(secret) + after, shown, re.IGNORECASE):
            found.append(secret)
    return found


def test_the_leak_check_itself_spots_each_secret():
    assert leaks(NOTES) == list(SECRETS)
    assert leaks("annual fee, Smithfield, 79460") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at bob@example.org please", f"mail me at {EMAIL_REMOVED} please"),
        ("bob (at) example (dot) org", EMAIL_REMOVED),
        ("bob at example dot org", EMAIL_REMOVED),
        ("call +49 30 1234567 today", f"call {PHONE_REMOVED} today"),
        ("call 0049-30-1234567", f"call {PHONE_REMOVED}"),
        ("see http://x.example/a?b=c", f"see {LINK_REMOVED}"),
        ("see www.example.com/path", f"see {LINK_REMOVED}"),
        ("see example.co.uk.", f"see {LINK_REMOVED}."),
    ],
)
def test_contact_details_typed_into_the_notes_are_removed(text, expected):
    assert scrub_notes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ISO 9001:2015 and ISO/IEC 27001:2022, also 14001 45001",
        "45 employees on 2 sites, audit by 2026-09-30 or 30.09.2026",
        "budget about 12,000 EUR; e.g. two audits, i.e. stage 1 and 2",
    ],
)
def test_standards_dates_and_figures_in_the_notes_are_kept(text):
    assert scrub_notes(text) == text


def test_the_business_names_typed_into_the_notes_are_removed():
    cleaned = scrub_notes(
        "Acme Widgets Ltd (ask Ann Smith) makes brackets",
        names=("Acme Widgets Ltd", "Ann Smith"),
    )
    assert cleaned == f"{NAME_REMOVED} (ask {NAME_REMOVED}) makes brackets"


def test_the_budget_is_shown_as_a_band_never_the_figure():
    assert budget_band(None, "GBP") is None
    assert budget_band(800, "GBP") == "under 1,000 GBP"
    assert budget_band(7300, "EUR") == "5,000 to 10,000 EUR"
    assert budget_band(250_000, "USD") == "100,000 USD or more"


def test_the_brief_never_carries_the_business_name_contact_email_or_phone(db):
    quote_request = confirmed_request(db, notes=NOTES, budget=7300)
    brief = build_brief(quote_request)
    rendered = render_template("provider/_brief.html", brief=brief)
    rendered += render_template("email/lead_brief.txt", brief=brief)
    assert leaks(rendered) == []
    assert "ISO 9001 (quality)" in rendered
    assert "45" in rendered
    assert "Yorkshire" in rendered
    assert "5,000 to 10,000 GBP" in rendered
    assert "ISO 9001:2015 and ISO 14001 by 2026-09-30" in rendered


def test_the_lead_mail_and_lead_page_never_show_the_business_contact_details(
    client, db, jobs, smtp_sink
):
    cb = make_cb(db)
    make_provider_user(db, cb)
    request_id = confirmed_request(db, notes=NOTES).id
    fresh(db)
    match_request(request_id)
    jobs()
    (mail,) = smtp_sink.wait_for(2) and smtp_sink.to(cb.email)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    offer = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).one()
    assert login(client, cb.email, PROVIDER_PASSWORD).status_code == 303
    page = client.get(f"/provider/leads/{offer.id}")
    assert page.status_code == 200
    for shown in (text, html, page.get_data(as_text=True), mail["Subject"]):
        assert "ISO 9001" in shown
        assert leaks(shown) == []

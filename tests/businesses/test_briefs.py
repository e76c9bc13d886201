"""The anonymised brief: what a provider may read before the business accepts its quote."""

import re

import pytest
from flask import render_template
from sqlmodel import select

from matcher.businesses.briefs import budget_band, build_brief
from matcher.businesses.names import mailbox_names
from matcher.businesses.redaction import (
    EMAIL_REMOVED,
    LINK_REMOVED,
    NAME_REMOVED,
    PHONE_REMOVED,
    redact_free_text,
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
    assert redact_free_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ISO 9001:2015 and ISO/IEC 27001:2022, also 14001 45001",
        "45 employees on 2 sites, audit by 2026-09-30 or 30.09.2026",
        "budget about 12,000 EUR; e.g. two audits, i.e. stage 1 and 2",
    ],
)
def test_standards_dates_and_figures_in_the_notes_are_kept(text):
    assert redact_free_text(text) == text


def test_the_business_names_typed_into_the_notes_are_removed():
    cleaned = redact_free_text(
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


def scrub(text: str, *names: str) -> str | None:
    """Scrub notes of a request in Yorkshire, United Kingdom."""
    return redact_free_text(text, names=names, known_words=("United Kingdom", "Yorkshire"))


def test_common_words_of_the_company_name_stay_in_the_notes():
    notes = "We make steel brackets and fixings; Acme supplies two brackets a minute."
    assert scrub(notes, "Acme Brackets Ltd", "Ann Smith") == (
        f"We make steel brackets and fixings; {NAME_REMOVED} supplies two brackets a minute."
    )


@pytest.mark.parametrize(
    "written",
    [
        "Acme Brackets Ltd",
        "Acme Brackets",
        "ACME BRACKETS LIMITED",
        "acme-brackets",
        "Acme Brackets Ltd.",
        "Acme",
        "ACME",
        "Acme Ltd",
    ],
)
def test_the_company_name_goes_with_or_without_its_legal_form(written):
    cleaned = scrub(f"Quote for {written} please", "Acme Brackets Ltd")
    assert cleaned in (f"Quote for {NAME_REMOVED} please", f"Quote for {NAME_REMOVED}. please")


@pytest.mark.parametrize(
    ("name", "notes"),
    [
        ("Müller Präzisionstechnik GmbH", "Mueller and MÜLLER and Muller and müller"),
        ("L'Oréal S.A.", "L’Oreal and loreal and L'ORÉAL SA"),
        ("Łódź Kabel Sp", "Lodz and ŁÓDŹ"),
        ("Großmann & Söhne KG", "Grossmann and GROSSMANN"),
    ],
)
def test_names_with_accents_and_punctuation_are_found_however_they_are_typed(name, notes):
    cleaned = scrub(notes, name)
    assert cleaned.replace(NAME_REMOVED, "").replace("and", "").strip(" ,") == ""


def test_a_name_made_of_common_words_is_removed_only_when_written_as_a_name():
    notes = "We make steel brackets. Steel Brackets Ltd was founded in 1990; Steel Brackets ships."
    assert scrub(notes, "Steel Brackets Ltd") == (
        f"We make steel brackets. {NAME_REMOVED} was founded in 1990; {NAME_REMOVED} ships."
    )


def test_the_contact_name_goes_but_ordinary_words_that_are_first_names_stay():
    assert scrub("Ask for Ann; annual audit. Ann's deputy.", "Foo Ltd", "Ann Smith") == (
        f"Ask for {NAME_REMOVED}; annual audit. {NAME_REMOVED}'s deputy."
    )
    assert scrub("We will need it; Mr Smith decides.", "Foo Ltd", "Will Smith") == (
        f"We will need it; Mr {NAME_REMOVED} decides."
    )


def test_words_the_brief_shows_anyway_are_not_taken_for_the_name():
    notes = "Yorkshire Castings has two sites in Yorkshire and ships across the United Kingdom."
    assert scrub(notes, "Yorkshire Castings Ltd") == (
        f"{NAME_REMOVED} has two sites in Yorkshire and ships across the United Kingdom."
    )


def test_the_mailbox_names_in_the_business_email_are_removed_but_not_role_words():
    assert mailbox_names("info@acme-widgets.co.uk") == ["info", "acme-widgets"]
    assert mailbox_names("ann.smith@gmail.com") == ["ann.smith"]
    names = mailbox_names("info@acme-widgets.co.uk")
    assert scrub("More info: ask Acme Widgets.", *names) == f"More info: ask {NAME_REMOVED}."


def test_placeholders_already_written_are_never_mangled_by_a_name():
    cleaned = scrub("see www.x.example or mail a@b.example", "Removed Link Ltd")
    assert cleaned == f"see {LINK_REMOVED} or mail {EMAIL_REMOVED}"


def test_a_two_letter_acronym_is_removed_only_in_capitals():
    assert scrub("GE plant, ge-style", "GE Ltd") == f"{NAME_REMOVED} plant, ge-style"

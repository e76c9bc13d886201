"""Phone numbers typed into free text never reach a provider; standards, dates and figures do.

Numbers are real example numbers of every country the request form offers (phonenumbers'
fixed-line and mobile examples, their last digits varied), written the ways people write them.
"""

import re

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from matcher.businesses.redaction import PHONE_REMOVED, redact_free_text
from matcher.iso import reference

NAMED = ("GB", "IE", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "PL", "SE", "US")
KINDS = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE)
# Every country of the form that has phone numbers (not Antarctica, Bouvet Island, ...).
SERVED = tuple(
    code
    for code in reference.countries()
    if any(phonenumbers.example_number_for_type(code, kind) for kind in KINDS)
)
KEPT = (
    "ISO 9001:2015",
    "ISO/IEC 27001:2022",
    "ISO 9001, 14001 and 45001",
    "IAF 17",
    "IAF code 28",
    "IAF codes 17, 18 and 28",
    "2026-03-01",
    "01/03/2026",
    "1.3.2026",
    "31.12.2026",
    "120 employees",
    "1,200 staff",
    "3 sites",
    "2 shifts",
)
# A postcode of each named country, read as that country's request.
POSTCODES = {
    "GB": "LS1 4AP",
    "IE": "D02 X285",
    "DE": "10115 Berlin",
    "FR": "75008 Paris",
    "IT": "20121 Milano",
    "ES": "28013 Madrid",
    "NL": "1012 AB Amsterdam",
    "BE": "1000 Bruxelles",
    "AT": "1010 Wien",
    "CH": "8001 Zürich",
    "PL": "00-950 Warszawa",
    "SE": "114 55 Stockholm",
    "US": "Beverly Hills, CA 90210-1234",
}
SENTENCES = (
    "{} is my mobile",
    "call {}",
    "Call me on {}.",
    "Tel.: {} (office hours)",
    "ring {}, ask for the quality manager",
    "mobile/WhatsApp {} or e-mail",
    "phone:{}",
    "({})",
    "Kontakt: {} bitte",
    "appelez le {} svp",
    "{}",
)


def countries():
    """The served countries, the named ones drawn as often as all the others together."""
    return st.one_of(st.sampled_from(NAMED), st.sampled_from(SERVED))


@st.composite
def phone_numbers(draw, region: str):
    """A valid number of the region: its example number with up to four last digits changed."""
    kinds = [k for k in KINDS if phonenumbers.example_number_for_type(region, k)]
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(kinds)))
    national = str(example.national_number)
    changed = draw(st.integers(0, min(4, len(national) - 1)))
    tail = draw(st.text("0123456789", min_size=changed, max_size=changed))
    varied = phonenumbers.parse(
        f"+{example.country_code}{national[: len(national) - changed]}{tail}"
    )
    return varied if phonenumbers.is_valid_number(varied) else example


def _groups(text: str) -> list[str]:
    return re.findall(r"\d+", text)


@st.composite
def written(draw, number):
    """The number as a person might type it: formatted, or its groups joined another way."""
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    prefix = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_number(number)
    ).national_prefix
    digits = "".join(_groups(national))
    separator = draw(st.sampled_from([" ", ".", "-", "/", ""]))
    pairs = [digits[: len(digits) % 2 or 2], *re.findall(r"\d\d", digits[len(digits) % 2 or 2 :])]
    styles = [
        national,
        international,
        phonenumbers.format_number(number, PhoneNumberFormat.E164),
        "00" + international[1:],
        separator.join(_groups(national)),
        "+" + separator.join(_groups(international)),
        separator.join(pairs),  # the French way: 06.12.34.56.78
        digits,
    ]
    if prefix:
        code, rest = international.split(" ", 1)
        styles.append(f"{code} ({prefix}){rest}")  # +44 (0)20 7946 0958
    return draw(st.sampled_from(styles))


@st.composite
def notes_with_a_number(draw):
    """(country, notes, kept phrase): a number of the country typed beside a phrase we keep."""
    region = draw(countries())
    typed = draw(written(draw(phone_numbers(region))))
    # A number typed exactly like a date ("2.01.23", five digits of Tuvalu) is kept as one.
    assume(not re.fullmatch(r"\d\d?([./-])\d\d?\1(\d\d|\d{4})", typed))
    sentence = draw(st.sampled_from(SENTENCES)).format(typed)
    kept = draw(st.sampled_from(KEPT))
    parts = [f"We need {kept}.", sentence]
    return region, " ".join(draw(st.permutations(parts))), kept


@settings(max_examples=1500, deadline=None)
@given(notes_with_a_number())
def test_no_phone_number_of_a_served_country_survives_in_the_notes(case):
    region, notes, kept = case
    cleaned = redact_free_text(notes, country=region)
    assert PHONE_REMOVED in cleaned
    assert kept in cleaned
    assert not re.search(r"\d", cleaned.replace(kept, "")), cleaned


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SERVED), st.lists(st.sampled_from(KEPT), min_size=1, max_size=4))
def test_standards_codes_dates_and_headcounts_are_kept_in_every_served_country(region, kept):
    notes = "We need " + "; ".join(kept) + "."
    assert redact_free_text(notes, country=region) == notes


@pytest.mark.parametrize(("region", "postcode"), POSTCODES.items())
def test_a_postcode_of_the_request_country_is_kept(region, postcode):
    notes = f"Our site: {postcode}, ISO 9001 by 2026-03-01."
    assert redact_free_text(notes, country=region) == notes


@pytest.mark.parametrize("region", NAMED)
def test_ordinary_figures_are_kept_in_the_named_countries(region):
    notes = (
        "Founded in 1998, room 101, clause 7.5.3; 4500 parts a day, 35 vans, open 24/7, "
        "budget about 12,000 EUR or 30000 GBP, stage 1 and 2 from 8:30 to 17:00."
    )
    assert redact_free_text(notes, country=region) == notes


def test_the_form_serves_the_named_countries_and_the_examples_are_valid():
    assert set(NAMED) <= set(SERVED)
    assert len(SERVED) > 200
    for region in NAMED:
        for kind in KINDS:
            assert phonenumbers.is_valid_number(phonenumbers.example_number_for_type(region, kind))


@pytest.mark.parametrize(
    ("region", "notes"),
    [
        ("GB", "07700 900123 is my mobile"),
        ("FR", "call 06.12.34.56.78"),
        ("GB", "ISO 9001 and 07700 900123 please"),
        ("DE", "Büro 030/1234567, mobil 0151-23456789"),
        ("GB", "our German site: 030 12345678"),
        ("US", "call (201) 555-0123 or 201.555.0124"),
        ("SG", "ISO 9001 6123 4567"),
        ("ES", "llámame en 612 345 678"),
    ],
)
def test_the_numbers_that_once_slipped_through_are_removed(region, notes):
    cleaned = redact_free_text(notes, country=region)
    digits_kept = "".join(re.findall(r"ISO \d+", notes))
    assert not re.search(r"\d", cleaned.replace(digits_kept, "")), cleaned

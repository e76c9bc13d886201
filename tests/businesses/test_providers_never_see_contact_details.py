"""Before acceptance, no free-text field of a request carries contact details to a provider."""

import re
from dataclasses import fields

from sqlalchemy import String
from sqlmodel import select

from matcher.businesses.briefs import Brief, build_brief
from matcher.businesses.redaction import EMAIL_REMOVED, NAME_REMOVED, PHONE_REMOVED
from matcher.models import LeadOffer, QuoteRequest
from tests.auth_helpers import PROVIDER_PASSWORD, login, make_provider_user
from tests.market import confirmed_request, fresh, make_cb
from workers.matching import match_request

# Columns filled from a fixed list (or by us), never typed freely, and the contact columns,
# which hold the contact details themselves and are never shown before acceptance.
CODED = {
    "public_id",
    "fingerprint",
    "status",
    "country",
    "standards",
    "service",
    "certification_status",
    "timeline",
    "currency",
}
CONTACT = {"company_name", "contact_name", "email", "phone"}
PLANTED = "ann.smith@example.com, 0113 496 0123 or 07700 900123, https://acme.example/contact"
SECRETS = ("ann.smith", "example.com", "0113", "496 0123", "07700", "900123", "acme.example")


def free_text_columns() -> list[str]:
    """Every text column of a request the business types freely (a new one is found too)."""
    return [
        column.name
        for column in QuoteRequest.__table__.columns
        # SQLModel's AutoString wraps a String
        if isinstance(getattr(column.type, "impl", column.type), String)
        and column.name not in CODED | CONTACT
    ]


def planted_request(db) -> QuoteRequest:
    """A confirmed request with contact details typed into every free-text field."""
    planted = {name: f"Leeds - {PLANTED}" for name in free_text_columns()}
    return confirmed_request(db, **planted)


def leaks(shown: str) -> list[str]:
    """The planted contact details found in `shown`."""
    return [s for s in SECRETS if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", shown, re.I)]


def in_memory_request(**values) -> QuoteRequest:
    """A request of Ann Smith of Acme Widgets Ltd (GB, Yorkshire), never stored."""
    return QuoteRequest(
        **{
            "company_name": "Acme Widgets Ltd",
            "contact_name": "Ann Smith",
            "email": "ann@acme.example",
            "country": "GB",
            "region": "Yorkshire",
            "sector": 17,
            "employees": 45,
            "standards": "iso9001",
            "service": "certification",
            "certification_status": "new",
            "timeline": "3_months",
            "currency": "GBP",
            **values,
        }
    )


def test_every_free_text_field_the_brief_shows_is_redacted_by_construction():
    marked = {item.name for item in fields(Brief) if item.metadata.get("free_text")}
    shown = {item.name for item in fields(Brief)}
    assert {"region", "notes"} <= marked
    assert shown & set(free_text_columns()) <= marked


def test_the_region_keeps_its_place_and_loses_the_contact_details():
    brief = build_brief(in_memory_request(region="Leeds - ann.smith@example.com 0113 496 0123"))
    assert brief.region == f"Leeds - {EMAIL_REMOVED} {PHONE_REMOVED}"


def test_the_contact_name_typed_into_the_region_goes_from_the_region_and_the_notes():
    brief = build_brief(in_memory_request(region="Leeds, ask Smith", notes="Smith decides."))
    assert brief.region == f"Leeds, ask {NAME_REMOVED}"
    assert brief.notes == f"{NAME_REMOVED} decides."


def test_a_place_the_company_is_named_after_stays_in_the_region():
    brief = build_brief(
        in_memory_request(
            company_name="Yorkshire Castings Ltd",
            notes="Yorkshire Castings has two sites in Yorkshire.",
        )
    )
    assert brief.region == "Yorkshire"
    assert brief.notes == f"{NAME_REMOVED} has two sites in Yorkshire."


def test_phone_numbers_are_read_as_the_request_country_writes_them():
    # Six digits: a number in Andorra, too short to be one in the United Kingdom.
    assert build_brief(in_memory_request(country="AD", notes="ring 712 345")).notes == (
        f"ring {PHONE_REMOVED}"
    )
    assert build_brief(in_memory_request(country="GB", notes="ring 712 345")).notes == (
        "ring 712 345"
    )


def test_the_walk_plants_contact_details_in_region_and_notes_at_least():
    assert {"region", "notes"} <= set(free_text_columns())
    assert leaks(PLANTED) == list(SECRETS)


def test_contact_details_in_any_free_text_field_reach_no_lead_page_inbox_or_lead_mail(
    client, db, jobs, smtp_sink
):
    cb = make_cb(db)
    make_provider_user(db, cb)
    request_id = planted_request(db).id
    fresh(db)
    match_request(request_id)
    jobs()
    (mail,) = smtp_sink.wait_for(2) and smtp_sink.to(cb.email)
    offer = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).one()
    assert login(client, cb.email, PROVIDER_PASSWORD).status_code == 303
    lead_page = client.get(f"/provider/leads/{offer.id}")
    inbox = client.get("/provider/")
    assert lead_page.status_code == inbox.status_code == 200
    shown = {
        "lead page": lead_page.get_data(as_text=True),
        "inbox": inbox.get_data(as_text=True),
        "lead mail (text)": mail.get_body(("plain",)).get_content(),
        "lead mail (html)": mail.get_body(("html",)).get_content(),
        "lead mail subject": mail["Subject"],
    }
    assert {where: leaks(text) for where, text in shown.items()} == dict.fromkeys(shown, [])
    for where in ("lead page", "inbox", "lead mail (text)", "lead mail (html)"):
        assert "Leeds" in shown[where], where

"""People read country names, phone numbers in international format and choice labels, never
the stored codes ('DE', '+497111234567', 'at_cost')."""

from types import SimpleNamespace

from flask import render_template

from matcher.labels import choice_label, country_name, phone_display
from matcher.models import ProviderStatus, RequestStatus
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.factories import make_request
from tests.lead_helpers import request_path
from tests.provider_factories import make_provider

PHONE, SHOWN = "+497111234567", "+49 711 1234567"


def test_codes_turn_into_what_a_person_reads():
    assert country_name("DE") == "Germany"
    assert phone_display(PHONE) == SHOWN
    assert phone_display("not a number") == "not a number"
    assert choice_label("at_cost", "travel") == "Charged at cost"
    assert choice_label("certification_body", "kind") == "certification body"


def test_the_business_page_shows_the_country_name_and_the_phone_formatted(client, db):
    quote_request = make_request(
        db, country="DE", phone=PHONE, currency="EUR", status=RequestStatus.CONFIRMED
    )
    page = client.get(request_path(client.application, quote_request)).get_data(as_text=True)
    assert "Germany" in page and SHOWN in page
    assert ">DE<" not in page and "DE," not in page and PHONE not in page


def test_the_admin_pages_show_names_labels_and_formatted_phones(client, db):
    quote_request = make_request(db, country="DE", phone=PHONE, status=RequestStatus.CONFIRMED)
    provider = make_provider(
        db, status=ProviderStatus.PENDING, phone=PHONE, travel_policy="at_cost", countries=("DE",)
    )
    make_admin(db)
    assert login(client, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    request_page = client.get(f"/admin/requests/{quote_request.id}").get_data(as_text=True)
    assert "Germany" in request_page and SHOWN in request_page
    assert "A certification body to audit and certify us" in request_page
    assert PHONE not in request_page and "<dd>certification</dd>" not in request_page
    listing = client.get("/admin/requests?queue=all").get_data(as_text=True)
    assert "Germany" in listing
    provider_page = client.get(f"/admin/providers/{provider.id}").get_data(as_text=True)
    assert SHOWN in provider_page and "travel Charged at cost" in provider_page
    assert "<dd>Germany</dd>" in provider_page and "at_cost" not in provider_page


def test_a_change_waiting_for_review_is_shown_in_words(client, db):
    cb = make_provider(db)
    cb.pending_changes = {"scope": [["iso9001", 18]], "submitted_at": "2026-01-05T10:00:00"}
    db.add(cb)
    db.commit()
    make_admin(db)
    assert login(client, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    page = client.get(f"/admin/providers/{cb.id}").get_data(as_text=True)
    assert "ISO 9001 (quality) × 18" in page and "iso9001 ×" not in page


def test_mails_after_acceptance_show_the_phone_formatted(app):
    req = SimpleNamespace(company_name="Acme", contact_name="Ann", email="a@x.example", phone=PHONE)
    provider = SimpleNamespace(name="CB", email="cb@x.example", phone=PHONE, website=None)
    with app.test_request_context():
        for name in ("request_accepted_provider", "request_accepted"):
            for ext in ("txt", "html"):
                body = render_template(f"email/{name}.{ext}", req=req, provider=provider, link="x")
                assert SHOWN in body and PHONE not in body, name

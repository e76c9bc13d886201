"""ISO/IEC 17021-1 cl. 5.2 from the form: a CB affiliated with the business's consultant, now or
in the last two years, is never offered the request, however the business spells the name; the
admin reads why, and the providers never read the names.
"""

import re
from dataclasses import replace

import pytest
from sqlmodel import select

from matcher import matching
from matcher.matching.filters import conflicts
from matcher.models import LeadOffer, OutboxMessage, ProviderStatus, QuoteRequest, RequestStatus
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.factories import request_form
from tests.lead_helpers import login_as
from tests.market import affiliate, facts_of_a_request, fresh, make_cb, make_consultant
from tests.page_helpers import field_errors, submit
from workers.matching import match_request


def matched(client, db, **form_values) -> tuple[QuoteRequest, set[int]]:
    """Submit the form, confirm the request, run the real match job: (request, offered ids)."""
    db.commit()
    assert submit(client, "/quote", request_form(**form_values)).status_code == 303
    quote_request = fresh(db).exec(select(QuoteRequest)).one()
    quote_request.status = RequestStatus.CONFIRMED
    db.add(quote_request)
    db.commit()
    match_request(quote_request.id)
    fresh(db)
    offers = db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == quote_request.id))
    return db.get(QuoteRequest, quote_request.id), set(offers)


@pytest.fixture
def acme(db):
    """ACME consulting, registered, and two CBs: one affiliated with it, one not."""
    consultant = make_consultant(db, name="ACME consulting")
    tied, free = make_cb(db, name="Tied Certification"), make_cb(db, name="Free Certification")
    affiliate(db, tied, consultant)  # declared by the CB, approved by an admin
    return consultant, tied, free


def test_a_misspelt_acme_consulting_ltd_still_keeps_out_the_cb_affiliated_with_acme_consulting(
    client, db, acme
):
    consultant, tied, free = acme
    quote_request, offered = matched(client, db, current_consultant="Acme Consulting Ltd.")
    assert quote_request.current_consultant_id == consultant.id
    assert quote_request.current_consultant_name == "Acme Consulting Ltd."
    assert offered == {free.id}


def test_a_consultant_of_the_last_two_years_keeps_its_affiliated_cb_out(client, db, acme):
    consultant, tied, free = acme
    quote_request, offered = matched(
        client, db, previous_consultants=["Nobody Advisers", "Acme Consulting GmbH"]
    )
    assert quote_request.previous_consultants == [
        {"name": "Nobody Advisers", "provider_id": None},
        {"name": "Acme Consulting GmbH", "provider_id": consultant.id},
    ]
    assert offered == {free.id}


def test_an_unaffiliated_cb_still_gets_the_lead_and_an_unknown_name_keeps_no_one_out(
    client, db, acme
):
    _, tied, free = acme
    quote_request, offered = matched(
        client, db, current_consultant="Acme Consultancy", previous_consultants=["ACME"]
    )
    assert quote_request.current_consultant_id is None
    assert quote_request.previous_consultant_ids == []
    assert offered == {tied.id, free.id}


def test_a_suspended_consultant_of_the_last_two_years_still_counts(client, db, acme):
    consultant, tied, free = acme
    consultant.status = ProviderStatus.SUSPENDED
    db.add(consultant)
    _, offered = matched(client, db, previous_consultants=["acme consulting"])
    assert offered == {free.id}


def test_the_name_spelled_as_typed_wins_when_two_registered_consultants_share_a_key(client, db):
    ltd = make_consultant(db, name="Brackenbury Advisers Ltd")
    gmbh = make_consultant(db, name="Brackenbury Advisers GmbH")
    make_cb(db)
    quote_request, _ = matched(
        client, db, current_consultant="brackenbury advisers gmbh",
        previous_consultants=["Brackenbury Advisers"],
    )  # fmt: skip
    assert quote_request.current_consultant_id == gmbh.id
    assert quote_request.previous_consultant_ids == [ltd.id]


def test_the_matcher_keeps_out_a_cb_affiliated_with_any_consultant_of_two_years():
    request = facts_of_a_request(current_consultant_id=1, previous_consultant_ids=(2, 3))
    cb = matching.ProviderFacts(id=9, kind=matching.CERTIFICATION_BODY)
    for consultant_id in (1, 3):
        tied = replace(cb, affiliated_ids=frozenset({consultant_id}))
        assert conflicts(request, tied, {})
    assert not conflicts(request, cb, {})
    consultant = replace(tied, kind=matching.CONSULTANT)
    assert not conflicts(request, consultant, {}), "only a CB is kept out"


def test_the_admin_reads_why_the_cb_was_kept_out(client, db, acme):
    consultant, tied, free = acme
    quote_request, _ = matched(client, db, previous_consultants=["Acme Consulting Ltd."])
    admin = client.application.test_client()
    make_admin(db)
    assert login(admin, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    page = admin.get(f"/admin/requests/{quote_request.id}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page).replace("&#39;", "'")
    assert (
        "Tied Certification: affiliated with ACME consulting, "
        "the business's consultant in the last two years" in text
    )
    assert "Free Certification:" not in text
    assert f"Acme Consulting Ltd. (registered, #{consultant.id})" in text


def test_providers_never_read_the_names_of_the_business_consultants(client, db):
    cb = make_cb(db)
    quote_request, offered = matched(
        client, db, current_consultant="Vossberg Advisers",
        previous_consultants=["Ottoline Brackenbury Partners"],
    )  # fmt: skip
    assert offered == {cb.id}
    lead_mail = db.exec(select(OutboxMessage).where(OutboxMessage.template == "lead_offer")).one()
    login_as(client, db, cb)
    offer_id = db.exec(select(LeadOffer.id)).one()
    page = client.get(f"/provider/leads/{offer_id}").get_data(as_text=True)
    assert "ISO 9001" in page
    for seen in (page, lead_mail.body_text, lead_mail.body_html or ""):
        assert "vossberg" not in seen.lower()
        assert "brackenbury" not in seen.lower()


BAD_NAMES = [
    (["One", "Two", "Three", "Four"], "Name at most three consultants."),
    (["x" * 500], "Keep each name to 200 characters or fewer."),
    (["Acme\x07Consulting"], "Remove line breaks and control characters."),
    (["Acme\nConsulting"], "Remove line breaks and control characters."),
    (["Acme\u202eConsulting"], "Remove the hidden text-direction characters."),
    (["Acme\x00Consulting"], "This contains characters we cannot accept. Please retype it."),
]


@pytest.mark.parametrize(("names", "message"), BAD_NAMES)
def test_bad_consultant_names_get_a_field_error_and_write_nothing(client, db, names, message):
    response = submit(client, "/quote", request_form(previous_consultants=names))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "previous_consultants") == [message]
    fresh(db)
    assert db.exec(select(QuoteRequest)).all() == []


def test_three_names_and_blank_boxes_are_accepted(client, db):
    names = ["One Advisers", "", "Two Advisers", "  ", "Three Advisers"]
    assert submit(client, "/quote", request_form(previous_consultants=names)).status_code == 303
    (quote_request,) = fresh(db).exec(select(QuoteRequest)).all()
    assert [c["name"] for c in quote_request.previous_consultants] == [
        "One Advisers", "Two Advisers", "Three Advisers",
    ]  # fmt: skip

"""The provider's side: the lead inbox, one lead, declining and quoting through the pages."""

import re
from datetime import date, timedelta

from sqlmodel import select

from matcher.labels import phone_display
from matcher.models import LeadOffer, OfferStatus, ProviderStatus, Quote, QuoteStatus
from tests.auth_helpers import csrf_token
from tests.lead_helpers import (
    cb_figures,
    cbs,
    form_data,
    fresh,
    indicative_quote,
    login_as,
    matched_request,
    request_path,
)
from tests.provider_factories import make_provider


def _post(client, offer, action: str, data: dict):
    token = csrf_token(client, f"/provider/leads/{offer.id}")
    return client.post(f"/provider/leads/{offer.id}/{action}", data={**data, "csrf_token": token})


def _market(db, **request_fields):
    providers = cbs(db, 2)
    quote_request, offers = matched_request(
        db, providers, notes="Call me on +44 20 7946 0958 or ann@acme.example", **request_fields
    )
    return quote_request, offers, providers


def test_the_inbox_shows_tabs_with_counts_and_each_lead_with_its_brief(app, client, db):
    quote_request, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    page = client.get("/provider/").get_data(as_text=True)
    for label, count in (("New", 1), ("Quoted", 0), ("Won", 0), ("Lost", 0), ("Expired", 0)):
        assert re.search(rf">{label} <span class=\"count\">\({count}\)</span>", page), label
    assert f"/provider/leads/{offer.id}" in page
    assert "2 days left to answer" in page
    assert "45" in page and "ISO 9001" in page
    for secret in (quote_request.company_name, quote_request.contact_name, quote_request.email):
        assert secret not in page
    assert "7946" not in page
    assert client.get("/provider/?tab=quoted").get_data(as_text=True).count("lead-") == 0


def test_the_inbox_sorts_leads_into_their_tabs(app, client, db):
    provider = cbs(db, 1)[0]
    states = [OfferStatus.QUOTED, OfferStatus.WON, OfferStatus.DECLINED, OfferStatus.EXPIRED]
    for status in states:
        _, (offer,) = matched_request(db, [provider])
        offer.status = status
        db.add(offer)
        db.commit()
    login_as(client, db, provider)
    page = client.get("/provider/?tab=lost").get_data(as_text=True)
    for label, count in (("New", 0), ("Quoted", 1), ("Won", 1), ("Lost", 1), ("Expired", 1)):
        assert f'>{label} <span class="count">({count})</span>' in page
    assert "You declined" in page
    assert client.get("/provider/?tab=nonsense").status_code == 200


def test_a_pending_provider_never_reaches_its_leads(app, client, db):
    provider = make_provider(db, status=ProviderStatus.PENDING)
    _, (offer,) = matched_request(db, [provider])
    login_as(client, db, provider)
    for path in ("/provider/", f"/provider/leads/{offer.id}"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/provider/review")


def test_another_providers_lead_is_a_404_to_read_decline_or_quote(app, client, db):
    _, (offer_a, offer_b), (provider_a, provider_b) = _market(db)
    login_as(client, db, provider_b)
    assert client.get(f"/provider/leads/{offer_a.id}").status_code == 404
    token = csrf_token(client, f"/provider/leads/{offer_b.id}")
    declined = client.post(
        f"/provider/leads/{offer_a.id}/decline", data={"reason": "other", "csrf_token": token}
    )
    assert declined.status_code == 404
    quoted = client.post(
        f"/provider/leads/{offer_a.id}/quote",
        data={**form_data(cb_figures()), "csrf_token": token},
    )
    assert quoted.status_code == 404
    assert fresh(db, LeadOffer, offer_a.id).status == OfferStatus.OFFERED
    assert db.exec(select(Quote)).all() == []
    assert client.get("/provider/leads/999999").status_code == 404


def test_a_provider_sends_a_firm_quote_from_the_lead_page(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    for name in ("stage1_days", "stage2_days", "surveillance_days", "recertification_days",
                 "day_rate", "application_fee", "certificate_fee", "annual_fee", "travel",
                 "travel_estimate", "valid_until", "justification", "message"):  # fmt: skip
        assert f'name="{name}"' in page, name
    assert 'value="950.00"' in page  # the price list's day rate, pre-filled
    response = _post(client, offer, "quote", form_data(cb_figures()))
    assert response.status_code == 303
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.QUOTED
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    assert "Your firm quote" in page and "8,350.00 GBP" in page
    assert 'name="stage1_days"' not in page


def test_the_quote_form_opens_with_the_indicative_figures(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    indicative_quote(db, offer, day_rate=1234)
    login_as(client, db, provider)
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    assert 'value="1234' in page and 'value="1.33"' in page
    assert "Confirm as firm quote" in page


def test_a_consultant_gets_the_consultant_form(app, client, db):
    from tests.lead_helpers import consultant

    adviser = consultant(db)
    _, (offer,) = matched_request(db, [adviser], service="consultancy")
    login_as(client, db, adviser)
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    for name in ("fee_type", "fee", "days", "duration_weeks", "included", "valid_until"):
        assert f'name="{name}"' in page, name
    assert 'name="stage1_days"' not in page


def test_bad_figures_get_messages_next_to_their_fields_and_nothing_is_written(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    bad = cb_figures(
        stage1_days="1.25",
        day_rate="-3",
        travel="by camel",
        valid_until=date.today() - timedelta(days=1),
        message="x" * 5000,
    )
    response = _post(client, offer, "quote", form_data(bad))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use half days (0.5, 1, 1.5 ...)." in page
    assert "An amount cannot be negative." in page
    assert "The quote must be valid today or later." in page
    assert "Not a valid choice" in page
    nul = _post(client, offer, "quote", form_data(cb_figures(message="a\x00b")))
    assert nul.status_code == 422
    assert db.exec(select(Quote)).all() == []
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED


def test_a_second_quote_is_refused_on_the_page_with_its_reason(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    assert _post(client, offer, "quote", form_data(cb_figures())).status_code == 303
    again = client.post(
        f"/provider/leads/{offer.id}/quote",
        data={
            **form_data(cb_figures(day_rate="1")),
            "csrf_token": csrf_token(client, "/provider/"),
        },
    )
    assert again.status_code == 409
    assert "You already sent a firm quote for this lead" in again.get_data(as_text=True)
    db.rollback()
    assert [q.day_rate for q in db.exec(select(Quote)).all()] == [1000]


def test_a_provider_declines_with_a_reason_in_one_click(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    for reason in ("out_of_scope", "no_capacity", "too_small", "other"):
        assert f'value="{reason}"' in page
    response = _post(client, offer, "decline", {"reason": "no_capacity"})
    assert response.status_code == 303
    assert fresh(db, LeadOffer, offer.id).decline_reason == "no_capacity"
    refused = client.post(
        f"/provider/leads/{offer.id}/decline",
        data={"reason": "other", "csrf_token": csrf_token(client, "/provider/")},
    )
    assert refused.status_code == 409
    assert "You already declined this lead." in refused.get_data(as_text=True)
    bad = client.post(
        f"/provider/leads/{offer.id}/decline",
        data={"reason": "bored", "csrf_token": csrf_token(client, "/provider/")},
    )
    assert bad.status_code == 422


def test_a_quote_without_csrf_is_refused(app, client, db):
    _, (offer, _), (provider, _) = _market(db)
    login_as(client, db, provider)
    response = client.post(f"/provider/leads/{offer.id}/quote", data=form_data(cb_figures()))
    assert response.status_code in (400, 422)
    assert db.exec(select(Quote)).all() == []


def test_contact_details_are_hidden_until_the_business_accepts_this_provider(app, client, db):
    quote_request, (offer_a, offer_b), (provider_a, provider_b) = _market(db)
    path = request_path(app, quote_request)
    secrets = (quote_request.company_name, quote_request.contact_name, quote_request.email)
    for provider, offer in ((provider_a, offer_a), (provider_b, offer_b)):
        other = app.test_client()
        login_as(other, db, provider)
        assert _post(other, offer, "quote", form_data(cb_figures())).status_code == 303
        page = other.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
        assert not any(secret in page for secret in secrets)

    business = app.test_client()
    quote_a = db.exec(select(Quote).where(Quote.offer_id == offer_a.id)).one()
    token = csrf_token(business, path)
    accepted = business.post(f"{path}/quotes/{quote_a.id}/accept", data={"csrf_token": token})
    assert accepted.status_code == 303

    winner, loser = app.test_client(), app.test_client()
    from tests.auth_helpers import PROVIDER_PASSWORD, login

    login(winner, provider_a.email, PROVIDER_PASSWORD)
    login(loser, provider_b.email, PROVIDER_PASSWORD)
    won = winner.get(f"/provider/leads/{offer_a.id}").get_data(as_text=True)
    assert all(secret in won for secret in secrets)
    # Shown as a person reads it: phonenumbers' international format.
    phone = phone_display(quote_request.phone)
    assert phone != quote_request.phone and phone in won
    lost = loser.get(f"/provider/leads/{offer_b.id}").get_data(as_text=True)
    assert not any(secret in lost for secret in (*secrets, phone, quote_request.phone))
    assert "Not chosen" in lost
    assert fresh(db, Quote, quote_a.id).status == QuoteStatus.ACCEPTED

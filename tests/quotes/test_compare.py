"""The business's page: quotes side by side, the MD 5 check; accept, decline, withdraw, rate."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from matcher.models import (
    LeadOffer,
    Provider,
    Qualification,
    Quote,
    QuoteRequest,
    QuoteStatus,
    Rating,
    RequestStatus,
    utcnow,
)
from matcher.quotes import answers
from tests.lead_helpers import (
    act,
    cb_figures,
    cbs,
    consultant,
    consultant_figures,
    fresh,
    indicative_quote,
    mails,
    matched_request,
    request_path,
)
from tests.page_helpers import LINK, csrf_token


def _firm(app, offer, figures, *, now=None):
    return act(
        app,
        answers.submit_quote,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        figures=figures,
        now=now or utcnow(),
    )


def _press(client, path: str, action: str, data: dict | None = None):
    token = csrf_token(client, path)
    return client.post(f"{path}/{action}", data={**(data or {}), "csrf_token": token})


def _cell(page: str, quote_id: int, row: str) -> str:
    """The cell of one quote's column in one row of the comparison table."""
    headers = re.findall(r'<th scope="col" id="quote-(\d+)">', page)
    column = headers.index(str(quote_id))
    body = re.search(rf'<th scope="row">{re.escape(row)}</th>(.*?)</tr>', page, re.S).group(1)
    return re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)[column]


def test_the_three_year_total_and_md5_check_on_worked_examples(app, client, db):
    """45 employees, ISO 9001: the MD 5 minimum is 4 days; 1 + 1 days gets the strong warning."""
    providers = cbs(db, 3)
    quote_request, offers = matched_request(db, providers, employees=45, standards="iso9001")
    ok = _firm(app, offers[0], cb_figures())
    short = _firm(app, offers[1], cb_figures(stage1_days="1", stage2_days="1", travel="at_cost"))
    page = client.get(request_path(app, quote_request)).get_data(as_text=True)

    # (1.5 + 2.5 + 2 x 1.5) days x 1000 + 200 + 150 + 2 x 300 + 400 travel
    assert "8,350.00 GBP" in _cell(page, ok.id, "Three-year total")
    assert "3,000.00 GBP" in _cell(page, ok.id, "Recertification (year 3, not in the total)")
    assert "the IAF MD 5 minimum for 45 employees is 4 days" in _cell(
        page, ok.id, "Audit days (IAF MD 5)"
    )
    assert "meets the minimum" in _cell(page, ok.id, "Audit days (IAF MD 5)")
    # (1 + 1 + 2 x 1.5) x 1000 + 200 + 150 + 600, travel at cost shown as such, not guessed
    short_total = _cell(page, short.id, "Three-year total")
    assert "5,950.00 GBP" in short_total and "travel at cost (not included)" in short_total
    warning = _cell(page, short.id, "Audit days (IAF MD 5)")
    assert "IAF MD 5 sets 4 days for ISO 9001 with 45 people" in warning
    assert "no accredited certification body may offer this" in warning
    assert fresh(db, Quote, short.id).three_year_total == Decimal("5950.00")


def test_the_comparison_shows_who_the_providers_are_and_how_they_answer(app, client, db):
    cb = cbs(db, 1, name="Northern Certification Ltd", accreditation_number="UKAS-4321")[0]
    adviser = consultant(db, name="Jane Quality Consulting")
    db.add(Qualification(provider_id=adviser.id, name="IRCA Lead Auditor ISO 9001", issuer="CQI"))
    db.commit()
    now = utcnow() - timedelta(hours=5)
    quote_request, (cb_offer, adviser_offer) = matched_request(
        db, [cb, adviser], service="both", now=now
    )
    firm = _firm(app, cb_offer, cb_figures(message="We know your sector."))
    rough = indicative_quote(db, adviser_offer, day_rate=None, travel=None)
    rough.kind, rough.fee_type, rough.fee, rough.stage1_days = "consultant", "fixed", 5000, None
    db.add(rough)
    db.commit()
    page = client.get(request_path(app, quote_request)).get_data(as_text=True)

    badge = _cell(page, firm.id, "Verified by CertMatch")
    assert "Accredited by UKAS, no. UKAS-4321, valid until" in badge
    assert "IRCA Lead Auditor ISO 9001 (CQI)" in _cell(page, rough.id, "Verified by CertMatch")
    assert "Firm" in _cell(page, firm.id, "Quote")
    assert "Indicative" in _cell(page, rough.id, "Quote")
    assert "answered in 5 hours" in _cell(page, firm.id, "Response")
    assert "firm quote expected by" in _cell(page, rough.id, "Response")
    assert "no ratings yet" in _cell(page, firm.id, "Rating")
    assert "We know your sector." in _cell(page, firm.id, "Message")
    actions = _cell(page, firm.id, "Decision")
    assert "Accept this quote" in actions
    assert "Accept this quote" not in _cell(page, rough.id, "Decision")
    assert "5,000.00 GBP" in _cell(page, rough.id, "Three-year total")


def test_each_firm_quote_mails_the_business_a_working_link(app, client, db):
    quote_request, (offer,) = matched_request(db, cbs(db, 1))
    quote = _firm(app, offer, cb_figures())
    (mail,) = mails(db, "quote_firm")
    path = LINK.search(mail.body_text).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert f'id="quote-{quote.id}"' in page.get_data(as_text=True)


def test_the_business_accepts_a_quote_and_both_sides_see_each_others_details(app, client, db):
    providers = cbs(db, 2, phone="+44 113 496 0000")
    quote_request, offers = matched_request(db, providers)
    chosen, other = (_firm(app, offer, cb_figures()) for offer in offers)
    path = request_path(app, quote_request)
    page = client.get(path).get_data(as_text=True)
    assert providers[0].email not in page

    response = _press(client, path, f"quotes/{chosen.id}/accept")
    assert response.status_code == 303
    page = client.get(path).get_data(as_text=True)
    assert "You accepted the quote from" in page
    contact = re.search(r'id="provider-contact">(.*?)</dl>', page, re.S).group(1)
    assert providers[0].email in contact and "+44 113 496 0000" in contact
    assert providers[1].email not in page
    assert "Accept this quote" not in page
    assert fresh(db, Quote, other.id).status == QuoteStatus.NOT_CHOSEN

    again = _press(client, path, f"quotes/{other.id}/accept")
    assert again.status_code == 303
    refusal = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"You have already accepted the quote from {providers[0].name}." in refusal
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.ACCEPTED


def test_a_refused_action_says_why_on_the_page(app, client, db):
    quote_request, (offer,) = matched_request(db, cbs(db, 1))
    quote = indicative_quote(db, offer)
    path = request_path(app, quote_request)
    response = _press(client, path, f"quotes/{quote.id}/accept")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "once the provider confirms it as a firm quote" in page
    assert fresh(db, Quote, quote.id).status == QuoteStatus.INDICATIVE


def test_business_actions_need_the_real_link_and_a_csrf_token(app, client, db):
    quote_request, (offer,) = matched_request(db, cbs(db, 1))
    quote = _firm(app, offer, cb_figures())
    path = request_path(app, quote_request)
    assert client.post(f"{path}/quotes/{quote.id}/accept").status_code == 400
    token = csrf_token(client, path)
    forged = client.post(f"/r/not-a-token/quotes/{quote.id}/accept", data={"csrf_token": token})
    assert forged.status_code == 404
    other, _ = matched_request(db, [])
    foreign = _press(client, request_path(app, other), f"quotes/{quote.id}/accept")
    assert foreign.status_code == 404
    assert fresh(db, Quote, quote.id).status == QuoteStatus.FIRM


def test_the_business_declines_a_quote(app, client, db):
    quote_request, (offer,) = matched_request(db, cbs(db, 1))
    quote = _firm(app, offer, cb_figures())
    path = request_path(app, quote_request)
    assert _press(client, path, f"quotes/{quote.id}/decline").status_code == 303
    assert fresh(db, Quote, quote.id).status == QuoteStatus.DECLINED
    assert "You declined" in _cell(client.get(path).get_data(as_text=True), quote.id, "Quote")


def test_the_business_withdraws_its_request(app, client, db):
    providers = cbs(db, 2)
    quote_request, offers = matched_request(db, providers)
    path = request_path(app, quote_request)
    assert "Withdraw my request" in client.get(path).get_data(as_text=True)
    assert _press(client, path, "withdraw").status_code == 303
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.WITHDRAWN
    assert {fresh(db, LeadOffer, o.id).status for o in offers} == {"cancelled"}
    assert len(mails(db, "request_withdrawn")) == 2
    assert "Withdraw my request" not in client.get(path).get_data(as_text=True)


def test_the_business_rates_the_accepted_provider_once_through_the_page(app, client, db):
    providers = cbs(db, 1)
    quote_request, (offer,) = matched_request(db, providers)
    quote = _firm(app, offer, cb_figures())
    path = request_path(app, quote_request)
    early = _press(client, path, "rate", {"stars": "5"})
    assert early.status_code == 303
    assert "once you have accepted its quote" in client.get(early.headers["Location"]).get_data(
        as_text=True
    )
    db.rollback()
    assert db.exec(select(Rating)).all() == []  # not accepted yet

    _press(client, path, f"quotes/{quote.id}/accept")
    token = csrf_token(client, path)  # the page's last form goes once the rating is in
    bad = _press(client, path, "rate", {"stars": "9"})
    assert bad.status_code == 422
    assert "Not a valid choice" in bad.get_data(as_text=True)
    assert (
        _press(client, path, "rate", {"stars": "4", "comment": "Clear and quick"}).status_code
        == 303
    )
    twice = client.post(f"{path}/rate", data={"stars": "1", "csrf_token": token})
    assert twice.status_code == 303
    assert "You have already rated this provider" in client.get(twice.headers["Location"]).get_data(
        as_text=True
    )
    db.rollback()
    assert [(r.stars, r.comment) for r in db.exec(select(Rating)).all()] == [(4, "Clear and quick")]
    provider = fresh(db, Provider, providers[0].id)
    assert (provider.rating_count, provider.rating_sum) == (1, 4)
    page = client.get(path).get_data(as_text=True)
    assert "You rated" in page and "4 / 5" in page
    assert 'action="' + path + '/rate"' not in page


def test_a_consultant_quote_is_the_fee(app, client, db):
    adviser = consultant(db)
    quote_request, (offer,) = matched_request(db, [adviser], service="consultancy")
    quote = _firm(app, offer, consultant_figures())
    page = client.get(request_path(app, quote_request)).get_data(as_text=True)
    assert "4,800.00 GBP" in _cell(page, quote.id, "Three-year total")
    assert "8 days of work, over 12 weeks" in _cell(page, quote.id, "Audit days (IAF MD 5)")

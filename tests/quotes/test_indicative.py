"""Instant indicative quotes: written by the match job, mailed at once, firmed up in one click."""

from decimal import Decimal

from sqlmodel import select

from matcher.models import ConsultantPackage, OutboxMessage, Quote, QuoteStatus
from tests.lead_helpers import form_data, login_as, request_path
from tests.market import confirmed_request, fresh, make_cb, make_consultant
from tests.page_helpers import csrf_token
from workers.matching import match_request


def _quotes(db, request_id: int) -> list[Quote]:
    fresh(db)
    return list(db.exec(select(Quote).where(Quote.request_id == request_id).order_by(Quote.id)))


def _business_mails(db, request_id: int) -> list[OutboxMessage]:
    fresh(db)
    return list(
        db.exec(
            select(OutboxMessage)
            .where(OutboxMessage.request_id == request_id)
            .where(OutboxMessage.template == "request_matched")
        )
    )


def test_the_match_job_writes_one_indicative_quote_per_priced_offer_and_one_mail(app, db):
    cheap = make_cb(db, name="Albion Assurance", day_rate=Decimal("800"))
    dear = make_cb(
        db, name="Pennine Certification", day_rate=Decimal("1000"), application_fee=Decimal("400")
    )
    request_id = confirmed_request(db).id

    with app.app_context():
        assert len(match_request(request_id)) == 2
        assert match_request(request_id) == []  # twice: nothing more

    quotes = _quotes(db, request_id)
    assert {q.provider_id for q in quotes} == {cheap.id, dear.id}
    assert {q.status for q in quotes} == {QuoteStatus.INDICATIVE}
    by_provider = {q.provider_id: q for q in quotes}
    # ISO 9001, 45 employees: 4 initial days (1.5 + 2.5), surveillance 1.33 a year.
    cheap_quote = by_provider[cheap.id]
    assert (cheap_quote.stage1_days, cheap_quote.stage2_days) == (Decimal("1.5"), Decimal("2.5"))
    assert cheap_quote.surveillance_days == Decimal("1.33")
    assert cheap_quote.recertification_days == Decimal("2.67")
    assert cheap_quote.three_year_total == Decimal("5328.00")  # 6.66 days x 800
    assert by_provider[dear.id].three_year_total == Decimal("7060.00")  # 6.66 x 1000 + 400
    assert any(
        "IAF MD 5 Table QMS 1, 26-45 employees" in line
        for line in cheap_quote.working["assumptions"]
    )

    (mail,) = _business_mails(db, request_id)
    assert "Albion Assurance: 5,328.00 GBP (indicative)" in mail.body_text
    assert "Pennine Certification: 7,060.00 GBP (indicative)" in mail.body_text
    assert "/r/" in mail.body_text


def test_a_provider_without_a_price_list_gets_no_indicative_quote_and_nothing_breaks(
    app, db, client
):
    priced = make_cb(db)
    unpriced = make_cb(db, day_rate=None, currency=None)
    quote_request = confirmed_request(db)
    with app.app_context():
        assert len(match_request(quote_request.id)) == 2
    assert [q.provider_id for q in _quotes(db, quote_request.id)] == [priced.id]
    (mail,) = _business_mails(db, quote_request.id)
    assert "1 provider: quote to follow" in mail.body_html
    page = client.get(request_path(app, quote_request)).get_data(as_text=True)
    assert "Indicative" in page
    assert "quote to follow" in page
    assert unpriced.id  # offered all the same


def test_a_multi_site_request_gets_no_automatic_estimate(app, db):
    make_cb(db)
    quote_request = confirmed_request(db, sites=3)
    with app.app_context():
        assert len(match_request(quote_request.id)) == 1
    assert _quotes(db, quote_request.id) == []


def test_a_consultant_is_priced_from_its_package_for_the_band(app, db):
    consultant = make_consultant(db)
    db.add(
        ConsultantPackage(
            provider_id=consultant.id, min_employees=1, max_employees=50, fee=Decimal("4500")
        )
    )
    db.commit()
    quote_request = confirmed_request(db, service="consultancy")
    with app.app_context():
        match_request(quote_request.id)
    (quote,) = _quotes(db, quote_request.id)
    assert (quote.fee_type, quote.fee, quote.three_year_total) == (
        "fixed",
        Decimal("4500.00"),
        Decimal("4500.00"),
    )


def test_indicative_then_firm_is_one_quote_and_one_mail_and_only_firm_can_be_accepted(
    app, db, client
):
    provider = make_cb(db, name="Albion Assurance")
    quote_request = confirmed_request(db)
    with app.app_context():
        (offer_id,) = match_request(quote_request.id)
    (indicative,) = _quotes(db, quote_request.id)
    business = request_path(app, quote_request)

    # The business cannot accept an indicative figure.
    refused = client.post(
        f"{business}/quotes/{indicative.id}/accept",
        data={"csrf_token": csrf_token(client, business)},
    )
    assert refused.status_code in (303, 409)
    assert _quotes(db, quote_request.id)[0].status == QuoteStatus.INDICATIVE

    # The provider's form opens pre-filled with the indicative figures: one click confirms.
    login_as(client, db, provider)
    lead_page = client.get(f"/provider/leads/{offer_id}").get_data(as_text=True)
    assert 'value="1.5"' in lead_page and 'value="2.5"' in lead_page
    assert 'value="1.33"' in lead_page
    figures = {
        "stage1_days": "1.5",
        "stage2_days": "2.5",
        "surveillance_days": "1.33",
        "recertification_days": "2.67",
        "day_rate": "900.00",
        "travel": "included",
        "valid_until": "2099-01-01",
    }
    token = csrf_token(client, f"/provider/leads/{offer_id}")
    firmed = client.post(
        f"/provider/leads/{offer_id}/quote", data={**form_data(figures), "csrf_token": token}
    )
    assert firmed.status_code == 303, firmed.get_data(as_text=True)[:2000]

    (firm,) = _quotes(db, quote_request.id)
    assert firm.id == indicative.id
    assert firm.status == QuoteStatus.FIRM
    assert firm.day_rate == Decimal("900.00")
    fresh(db)
    firm_mails = db.exec(select(OutboxMessage).where(OutboxMessage.template == "quote_firm")).all()
    assert len(firm_mails) == 1 and firm_mails[0].to_email == quote_request.email

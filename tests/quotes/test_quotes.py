"""Every transition of an offer, a quote and a request, and every refused one with its message."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select

from matcher.models import (
    LeadOffer,
    OfferStatus,
    Quote,
    QuoteRequest,
    QuoteStatus,
    Rating,
    RequestStatus,
    utcnow,
)
from matcher.quotes import answers, decisions
from matcher.quotes.errors import InvalidFigures, NotFound, QuoteError
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
)


def _quote(app, offer, figures=None, now=None):
    return act(
        app,
        answers.submit_quote,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        figures=figures or cb_figures(),
        now=now or utcnow(),
    )


def _refused(app, func, **kwargs) -> QuoteError:
    with pytest.raises(QuoteError) as caught:
        act(app, func, now=kwargs.pop("now", utcnow()), **kwargs)
    return caught.value


def _count(db, model) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def market(app, db):
    """A matched request offered to three certification bodies."""
    providers = cbs(db, 3)
    quote_request, offers = matched_request(db, providers)
    return quote_request, offers, providers


# ---------------------------------------------------------------- provider side


def test_a_firm_quote_records_the_figures_the_total_and_mails_the_business(app, db, market):
    quote_request, (offer, *_), (provider, *_) = market
    quote = _quote(app, offer)

    stored = fresh(db, Quote, quote.id)
    assert stored.status == QuoteStatus.FIRM
    assert stored.currency == "GBP"
    assert stored.stage1_days == Decimal("1.5")
    # (1.5 + 2.5 + 2 x 1.5) x 1000 + 200 + 150 + 2 x 300 + 400
    assert stored.three_year_total == Decimal("8350.00")
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.QUOTED
    (mail,) = mails(db, "quote_firm")
    assert mail.to_email == quote_request.email
    assert f"{provider.name} sent you a firm quote" == mail.subject
    assert "8,350.00 GBP" in mail.body_text
    assert "http://certmatch.test/r/" in mail.body_text


def test_the_firm_quote_replaces_the_indicative_figures_on_the_same_row(app, db, market):
    _, (offer, *_), _ = market
    indicative = indicative_quote(db, offer)
    firm = _quote(app, offer, cb_figures(day_rate="1100"))

    assert firm.id == indicative.id
    assert _count(db, Quote) == 1
    stored = fresh(db, Quote, indicative.id)
    assert (stored.status, stored.day_rate, stored.travel) == ("firm", Decimal("1100"), "estimate")
    assert stored.working["firm"] is True


def test_a_consultant_quote_keeps_only_consultant_figures(app, db):
    adviser = consultant(db)
    _, (offer,) = matched_request(db, [adviser], service="consultancy")
    quote = _quote(app, offer, consultant_figures())
    stored = fresh(db, Quote, quote.id)
    assert (stored.kind, stored.fee_type, stored.days) == ("consultant", "daily", Decimal("8"))
    assert stored.three_year_total == Decimal("4800.00")
    assert stored.stage1_days is None


def test_a_second_firm_quote_on_the_same_lead_is_refused(app, db, market):
    _, (offer, *_), _ = market
    _quote(app, offer)
    error = _refused(
        app,
        answers.submit_quote,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        figures=cb_figures(day_rate="1"),
    )
    assert "You already sent a firm quote for this lead" in error.message
    assert fresh(db, Quote, 1).day_rate == Decimal("1000")
    assert len(mails(db, "quote_firm")) == 1


def test_a_quote_after_the_window_closed_is_refused(app, db, market):
    _, (offer, *_), _ = market
    error = _refused(
        app,
        answers.submit_quote,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        figures=cb_figures(),
        now=offer.expires_at + timedelta(minutes=1),
    )
    assert error.code == "expired"
    assert "The time to answer this lead ran out" in error.message
    assert _count(db, Quote) == 0
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED


def test_a_quote_on_an_expired_offer_is_refused(app, db, market):
    _, (offer, *_), _ = market
    offer.status = OfferStatus.EXPIRED
    db.add(offer)
    db.commit()
    error = _refused(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(),
    )  # fmt: skip
    assert "ran out" in error.message
    assert _count(db, Quote) == 0


def test_decline_then_quote_is_refused(app, db, market):
    _, (offer, *_), _ = market
    act(
        app, answers.decline_offer, offer_id=offer.id, provider_id=offer.provider_id,
        reason="no_capacity", now=utcnow(),
    )  # fmt: skip
    error = _refused(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(),
    )  # fmt: skip
    assert error.code == "declined"
    assert "You declined this lead" in error.message
    assert _count(db, Quote) == 0


def test_declining_twice_is_refused(app, db, market):
    _, (offer, *_), _ = market
    act(
        app, answers.decline_offer, offer_id=offer.id, provider_id=offer.provider_id,
        reason="too_small", note="Below our minimum", now=utcnow(),
    )  # fmt: skip
    stored = fresh(db, LeadOffer, offer.id)
    assert (stored.status, stored.decline_reason, stored.decline_note) == (
        "declined", "too_small", "Below our minimum",
    )  # fmt: skip
    error = _refused(
        app, answers.decline_offer, offer_id=offer.id, provider_id=offer.provider_id,
        reason="other",
    )  # fmt: skip
    assert error.message == "You already declined this lead."


def test_a_quote_after_withdrawal_is_refused(app, db, market):
    quote_request, (offer, *_), _ = market
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=utcnow())
    error = _refused(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(),
    )  # fmt: skip
    assert error.message == "The business withdrew this request; it no longer takes quotes."
    assert _count(db, Quote) == 0


def test_a_quote_with_bad_figures_is_refused_field_by_field(app, db, market):
    _, (offer, *_), _ = market
    error = _refused(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(
            stage1_days="1.3", day_rate="-5", valid_until=date.today() - timedelta(days=1)
        ),
    )  # fmt: skip
    assert isinstance(error, InvalidFigures)
    assert error.errors == {
        "stage1_days": "Use half days (0.5, 1, 1.5 ...).",
        "day_rate": "An amount cannot be negative.",
        "valid_until": "The quote must be valid today or later.",
    }
    assert _count(db, Quote) == 0


def test_audit_days_below_the_md5_minimum_are_accepted_not_refused(app, db, market):
    _, (offer, *_), _ = market
    quote = _quote(app, offer, cb_figures(stage1_days="1", stage2_days="1"))
    stored = fresh(db, Quote, quote.id)
    assert stored.status == QuoteStatus.FIRM
    assert stored.working["days_check"]["level"] == "below_70_percent"


def test_another_providers_offer_does_not_exist_for_it(app, db, market):
    _, (offer, other, _), _ = market
    with pytest.raises(NotFound):
        act(
            app, answers.submit_quote, offer_id=offer.id, provider_id=other.provider_id,
            figures=cb_figures(), now=utcnow(),
        )  # fmt: skip
    with pytest.raises(NotFound):
        act(
            app, answers.decline_offer, offer_id=offer.id, provider_id=other.provider_id,
            reason="other", now=utcnow(),
        )  # fmt: skip
    assert fresh(db, LeadOffer, offer.id).status == OfferStatus.OFFERED


# ---------------------------------------------------------------- business side


def _firm_quotes(app, offers):
    return [_quote(app, offer) for offer in offers]


def test_accepting_a_firm_quote_decides_every_offer_and_tells_everyone(app, db, market):
    quote_request, offers, providers = market
    first, second = _firm_quotes(app, offers[:2])
    act(app, decisions.accept_quote, request_id=quote_request.id, quote_id=first.id, now=utcnow())

    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.ACCEPTED
    assert fresh(db, Quote, first.id).status == QuoteStatus.ACCEPTED
    assert fresh(db, Quote, second.id).status == QuoteStatus.NOT_CHOSEN
    statuses = [fresh(db, LeadOffer, o.id).status for o in offers]
    assert statuses == ["won", "lost", "cancelled"]
    (to_business,) = mails(db, "request_accepted")
    assert providers[0].email in to_business.body_text
    (to_winner,) = mails(db, "request_accepted_provider")
    assert to_winner.to_email == providers[0].email
    assert quote_request.email in to_winner.body_text
    assert quote_request.company_name in to_winner.body_text
    not_chosen = mails(db, "not_chosen")
    assert sorted(m.to_email for m in not_chosen) == sorted(p.email for p in providers[1:])
    for message in not_chosen:
        assert quote_request.email not in message.body_text
        assert quote_request.company_name not in message.body_text


def test_accepting_twice_is_refused(app, db, market):
    quote_request, offers, providers = market
    first, second = _firm_quotes(app, offers[:2])
    act(app, decisions.accept_quote, request_id=quote_request.id, quote_id=first.id, now=utcnow())
    for quote in (first, second):
        error = _refused(
            app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id
        )
        assert error.message == f"You have already accepted the quote from {providers[0].name}."
    assert fresh(db, Quote, second.id).status == QuoteStatus.NOT_CHOSEN
    assert len(mails(db, "request_accepted")) == 1


def test_accepting_after_withdrawal_is_refused(app, db, market):
    quote_request, offers, _ = market
    (quote,) = _firm_quotes(app, offers[:1])
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=utcnow())
    error = _refused(app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id)
    assert error.message == (
        "You withdrew this request; its quotes can no longer be accepted or declined."
    )
    assert fresh(db, Quote, quote.id).status == QuoteStatus.NOT_CHOSEN


def test_an_indicative_quote_cannot_be_accepted(app, db, market):
    quote_request, (offer, *_), _ = market
    quote = indicative_quote(db, offer)
    error = _refused(app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id)
    assert error.code == "indicative"
    assert "once the provider confirms it as a firm quote" in error.message
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.MATCHED


def test_a_quote_of_another_request_is_not_found(app, db, market):
    _, offers, _ = market
    (quote,) = _firm_quotes(app, offers[:1])
    other, _ = matched_request(db, [])
    with pytest.raises(NotFound):
        act(app, decisions.accept_quote, request_id=other.id, quote_id=quote.id, now=utcnow())


def test_declining_a_quote_tells_its_provider_and_keeps_the_others_open(app, db, market):
    quote_request, offers, providers = market
    first, second = _firm_quotes(app, offers[:2])
    act(app, decisions.decline_quote, request_id=quote_request.id, quote_id=first.id, now=utcnow())
    assert fresh(db, Quote, first.id).status == QuoteStatus.DECLINED
    assert fresh(db, LeadOffer, offers[0].id).status == OfferStatus.LOST
    assert fresh(db, Quote, second.id).status == QuoteStatus.FIRM
    assert [m.to_email for m in mails(db, "not_chosen")] == [providers[0].email]

    error = _refused(app, decisions.decline_quote, request_id=quote_request.id, quote_id=first.id)
    assert error.message == "You already declined this quote."
    error = _refused(app, decisions.accept_quote, request_id=quote_request.id, quote_id=first.id)
    assert error.message == "You declined this quote; it can no longer be accepted."


def test_withdrawing_cancels_open_offers_and_tells_the_providers(app, db, market):
    quote_request, offers, providers = market
    _firm_quotes(app, offers[:1])
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=utcnow())
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.WITHDRAWN
    assert [fresh(db, LeadOffer, o.id).status for o in offers] == ["lost", "cancelled", "cancelled"]
    told = mails(db, "request_withdrawn")
    assert sorted(m.to_email for m in told) == sorted(p.email for p in providers)

    error = _refused(app, decisions.withdraw_request, request_id=quote_request.id)
    assert error.message == "This request is already withdrawn."
    assert len(mails(db, "request_withdrawn")) == 3


def test_an_accepted_request_cannot_be_withdrawn(app, db, market):
    quote_request, offers, _ = market
    (quote,) = _firm_quotes(app, offers[:1])
    act(app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id, now=utcnow())
    error = _refused(app, decisions.withdraw_request, request_id=quote_request.id)
    assert error.code == "already_accepted"
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.ACCEPTED


def test_the_business_rates_the_accepted_provider_once(app, db, market):
    quote_request, offers, providers = market
    error = _refused(app, decisions.rate_provider, request_id=quote_request.id, stars=5, comment="")
    assert error.message == "You can rate a provider once you have accepted its quote."

    (quote,) = _firm_quotes(app, offers[:1])
    act(app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id, now=utcnow())
    act(
        app, decisions.rate_provider, request_id=quote_request.id, stars=4, comment=" Quick ",
        now=utcnow(),
    )  # fmt: skip
    error = _refused(app, decisions.rate_provider, request_id=quote_request.id, stars=1, comment="")
    assert error.message == "You have already rated this provider for this request."
    db.rollback()
    (rating,) = db.exec(select(Rating)).all()
    assert (rating.provider_id, rating.stars, rating.comment) == (providers[0].id, 4, "Quick")
    provider = fresh(db, type(providers[0]), providers[0].id)
    assert (provider.rating_count, provider.rating_sum) == (1, 4)


def test_a_quote_past_its_validity_cannot_be_accepted(app, db, market):
    quote_request, (offer, *_), _ = market
    quote = _quote(app, offer)
    later = utcnow() + timedelta(days=31)
    error = _refused(
        app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id, now=later
    )
    assert error.code == "quote_expired"
    assert "ask the provider to renew it" in error.message
    assert fresh(db, Quote, quote.id).status == QuoteStatus.FIRM

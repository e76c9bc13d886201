"""What the business hears when a decline or an expiry makes the matcher invite someone else."""

import re
from datetime import timedelta

from sqlmodel import select

from matcher.leads import offers
from matcher.models import LeadOffer, OfferStatus, OutboxMessage, Quote, QuoteStatus, utcnow
from tests.market import confirmed_request, fresh, make_cb
from workers import lifecycle as cron
from workers.matching import match_request

LINK = re.compile(r"http://certmatch\.test(/r/[A-Za-z0-9._\-]+)")


def _offers(db, request_id) -> list[LeadOffer]:
    fresh(db)
    query = select(LeadOffer).where(LeadOffer.request_id == request_id).order_by(LeadOffer.id)
    return list(db.exec(query).all())


def _mails(db, template: str) -> list[OutboxMessage]:
    fresh(db)
    query = select(OutboxMessage).where(OutboxMessage.template == template)
    return list(db.exec(query.order_by(OutboxMessage.id)).all())


def _set_status(db, offer: LeadOffer, status: str) -> None:
    offer.status = status
    db.add(offer)
    db.commit()


def _rematch(db, request_id: int, trigger: str = "decline") -> list[int]:
    outcome = offers.rematch_request(db, request_id, trigger)
    offer_ids = [o.id for o in outcome.offers]
    db.commit()
    return offer_ids


def test_a_decline_that_invites_a_new_provider_sends_the_business_one_short_mail(client, db):
    make_cb(db, name="First CB")
    make_cb(db, name="Second CB")
    make_cb(db, name="Third CB")
    newcomer = make_cb(db, name="Northern Audits Ltd", day_rate=None)
    request_id = confirmed_request(db).id
    match_request(request_id)
    first = _offers(db, request_id)
    _set_status(db, first[0], OfferStatus.DECLINED)

    (new_id,) = _rematch(db, request_id)

    new = db.get(LeadOffer, new_id)
    assert new.provider_id == newcomer.id
    (mail,) = _mails(db, "request_rematched")
    assert mail.to_email == "ann@acme.example"
    assert mail.subject == "A new verified provider is preparing a quote for you"
    assert "a provider you were waiting for declined your request" in mail.body_text
    assert "Northern Audits Ltd (accredited certification body): quote to follow" in mail.body_text
    assert new.expires_at.strftime("%d %B %Y, %H:%M UTC") in mail.body_text
    # The link in the mail opens the business's page.
    (path,) = LINK.findall(mail.body_text)
    assert client.get(path).status_code == 200
    assert "Northern Audits Ltd" in mail.body_html
    # The first mail is not repeated, and the new provider got its lead.
    assert len(_mails(db, "request_matched")) == 1
    assert [m.provider_id for m in _mails(db, "lead_offer")][-1] == newcomer.id


def test_the_mail_carries_the_new_providers_indicative_quote_when_one_was_worked_out(db):
    for _ in range(3):
        make_cb(db, day_rate=None)
    request_id = confirmed_request(db).id
    match_request(request_id)
    priced = make_cb(db, name="Priced Certification")  # joins after the first match
    _set_status(db, _offers(db, request_id)[0], OfferStatus.DECLINED)

    (new_id,) = _rematch(db, request_id)

    quote = db.exec(select(Quote).where(Quote.offer_id == new_id)).one()
    assert quote.provider_id == priced.id and quote.status == QuoteStatus.INDICATIVE
    (mail,) = _mails(db, "request_rematched")
    total = f"{quote.three_year_total:,.2f} GBP"
    assert f"Priced Certification (accredited certification body): {total}" in mail.body_text
    assert "indicative three-year total" in mail.body_text
    assert "cannot be accepted yet" in mail.body_text


def test_two_expired_leads_replaced_at_once_make_one_mail_naming_both(app, db, jobs):
    for _ in range(5):
        make_cb(db)
    now = utcnow()
    request_id = confirmed_request(db).id
    with app.app_context():
        offers.match_request(db, request_id, now=now)
    db.commit()
    first = _offers(db, request_id)
    _set_status(db, first[0], OfferStatus.QUOTED)  # one provider answered in time

    expired = cron.expire_offers(now=now + timedelta(hours=49))
    jobs()  # one re-match job for both freed slots

    assert len(expired) == 2
    (mail,) = _mails(db, "request_rematched")
    assert mail.subject == "2 new verified providers are preparing a quote for you"
    assert "providers you were waiting for did not answer in time" in mail.body_text
    assert mail.body_text.count("(accredited certification body)") == 2


def test_a_rematch_that_finds_no_one_stays_silent_while_leads_are_still_open(db):
    make_cb(db)
    make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    _set_status(db, _offers(db, request_id)[0], OfferStatus.DECLINED)

    assert _rematch(db, request_id) == []

    assert _mails(db, "request_rematched") == []
    assert _mails(db, "request_no_one_left") == []


def test_a_rematch_that_finds_no_one_stays_silent_while_a_firm_quote_waits(db):
    make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    (offer,) = _offers(db, request_id)
    quote = db.exec(select(Quote).where(Quote.offer_id == offer.id)).one()
    quote.status = QuoteStatus.FIRM
    db.add(quote)
    _set_status(db, offer, OfferStatus.QUOTED)

    assert _rematch(db, request_id, "admin") == []

    assert _mails(db, "request_no_one_left") == []


def test_the_business_hears_honestly_once_when_no_one_is_left_to_wait_for(db):
    make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    (offer,) = _offers(db, request_id)
    _set_status(db, offer, OfferStatus.DECLINED)

    assert _rematch(db, request_id) == []
    assert _rematch(db, request_id, "admin") == []  # a second run with nothing new

    (mail,) = _mails(db, "request_no_one_left")
    assert mail.to_email == "ann@acme.example"
    assert "has a quote waiting for you any more: they declined." in mail.body_text
    assert "No other verified provider that fits your request" in mail.body_text
    assert "/r/" in mail.body_text
    assert _mails(db, "request_rematched") == []


def test_at_the_six_provider_limit_the_mail_says_no_more_will_be_invited(db):
    for _ in range(8):
        make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    for _ in range(3):
        for offer in _offers(db, request_id):
            if offer.status == OfferStatus.OFFERED:
                _set_status(db, offer, OfferStatus.DECLINED)
        _rematch(db, request_id)

    assert len(_offers(db, request_id)) == 6
    assert len(_mails(db, "request_rematched")) == 1  # one run refilled three slots
    (mail,) = _mails(db, "request_no_one_left")
    assert "at most 6 providers to one request" in mail.body_text
    assert "We will not invite more." in mail.body_text


def test_the_first_match_and_an_unmatched_requests_first_providers_get_no_rematch_mail(db):
    make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    assert _mails(db, "request_rematched") == []

    lonely_id = confirmed_request(db, country="FR").id
    match_request(lonely_id)
    make_cb(db, countries=("FR",))
    assert len(_rematch(db, lonely_id, "admin")) == 1
    assert len(_mails(db, "request_matched")) == 2
    assert _mails(db, "request_rematched") == []


def test_the_rematch_mail_is_written_in_the_same_transaction_as_the_new_offer(db):
    for _ in range(4):
        make_cb(db)
    request_id = confirmed_request(db).id
    match_request(request_id)
    _set_status(db, _offers(db, request_id)[0], OfferStatus.DECLINED)

    outcome = offers.rematch_request(db, request_id, "decline")
    assert len(outcome.offers) == 1
    db.rollback()  # the job failed before committing: neither the offer nor the mail exists

    assert len(_offers(db, request_id)) == 3
    assert _mails(db, "request_rematched") == []
    assert len(_rematch(db, request_id)) == 1
    assert len(_mails(db, "request_rematched")) == 1

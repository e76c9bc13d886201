"""A provider's track record: response rate, median response time, ratings, and the matcher."""

from datetime import timedelta

import pytest

from matcher import matching
from matcher.candidates.naive import find_candidates
from matcher.candidates.search import request_facts
from matcher.models import Provider, utcnow
from matcher.providers import track_record
from matcher.quotes import answers, decisions
from tests.lead_helpers import act, cb_figures, cbs, fresh, matched_request
from workers import lifecycle as cron

T0 = utcnow().replace(microsecond=0)


def _answer(app, offer, hours: float, *, decline=False):
    now = T0 + timedelta(hours=hours)
    if decline:
        return act(
            app, answers.decline_offer, offer_id=offer.id, provider_id=offer.provider_id,
            reason="too_small", now=now,
        )  # fmt: skip
    return act(
        app, answers.submit_quote, offer_id=offer.id, provider_id=offer.provider_id,
        figures=cb_figures(), now=now,
    )  # fmt: skip


def test_answers_and_expiries_keep_the_response_rate_and_median_current(app, db):
    (provider,) = cbs(db, 1)
    offers = [matched_request(db, [provider], now=T0)[1][0] for _ in range(4)]
    _answer(app, offers[0], 2)
    _answer(app, offers[1], 6, decline=True)
    _answer(app, offers[2], 10)
    cron.expire_offers(now=T0 + timedelta(hours=49))

    stored = fresh(db, Provider, provider.id)
    assert (stored.offers_received, stored.offers_answered) == (4, 3)
    assert stored.median_response_hours == pytest.approx(6.0)
    record = track_record.track_record(stored)
    assert record.response_text == "answers 75% of leads, typically within 6 hours"


def test_a_lead_withdrawn_before_the_provider_could_answer_does_not_count_against_it(app, db):
    (provider,) = cbs(db, 1)
    quote_request, (offer,) = matched_request(db, [provider], now=T0)
    assert track_record.track_record(fresh(db, Provider, provider.id)).response_text == (
        "new on CertMatch"
    )  # an open lead is not a missed one
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=T0 + timedelta(hours=1))
    stored = fresh(db, Provider, provider.id)
    assert (stored.offers_received, stored.offers_answered) == (0, 0)
    assert track_record.track_record(stored).response_text == "new on CertMatch"


def test_refreshing_twice_counts_nothing_twice(app, db):
    (provider,) = cbs(db, 1)
    _, (offer,) = matched_request(db, [provider], now=T0)
    _answer(app, offer, 3)
    before = fresh(db, Provider, provider.id)
    expected = (before.offers_received, before.offers_answered, before.median_response_hours)
    act(app, track_record.refresh_response_record, provider_id=provider.id)
    after = fresh(db, Provider, provider.id)
    assert (after.offers_received, after.offers_answered, after.median_response_hours) == expected


def test_ratings_add_up_into_the_reputation(app, db):
    (provider,) = cbs(db, 1)
    for stars in (5, 3, 4):
        quote_request, (offer,) = matched_request(db, [provider])
        quote = _answer(app, offer, 1)
        act(
            app,
            decisions.accept_quote,
            request_id=quote_request.id,
            quote_id=quote.id,
            now=utcnow(),
        )
        act(
            app,
            decisions.rate_provider,
            request_id=quote_request.id,
            stars=stars,
            comment=None,
            now=utcnow(),
        )
    stored = fresh(db, Provider, provider.id)
    assert (stored.rating_count, stored.rating_sum) == (3, 12)
    assert track_record.track_record(stored).rating_text == "4.0 / 5 (3 ratings)"
    with pytest.raises(ValueError):
        act(app, track_record.record_rating, provider_id=provider.id, stars=6)


def test_the_matcher_scores_a_responsive_provider_above_one_that_lets_leads_expire(app, db):
    quick, slow = cbs(db, 2)
    for _ in range(3):
        _, (quick_offer, slow_offer) = matched_request(db, [quick, slow], now=T0)
        _answer(app, quick_offer, 1)
    cron.expire_offers(now=T0 + timedelta(hours=49))
    quote_request, _ = matched_request(db, [])
    db.rollback()
    facts = request_facts(quote_request)
    scored = {
        p.id: matching.score(facts, p, utcnow()).breakdown["responsiveness"]
        for p in find_candidates(db, facts, utcnow())
    }
    assert scored[quick.id] > scored[slow.id]

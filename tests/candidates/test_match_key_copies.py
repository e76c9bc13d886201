"""The match key's copies of provider columns follow every real write path.

The narrowing filters and bounds scores from those copies alone, so a copy left behind would
offer a suspended provider or rank one by yesterday's record. Each test drives a write path
the product uses, then checks the keys against a rebuild from scratch.
"""

from datetime import date, timedelta
from decimal import Decimal

from matcher.candidates.search import match_candidates
from matcher.matching import OfferHistory
from matcher.models import ProviderMatchKey, ProviderStatus, utcnow
from matcher.providers import track_record
from matcher.providers.reviewed_changes import update_profile
from matcher.vetting.decisions import decide
from matcher.vetting.expiry import suspend_expired
from tests.candidates.test_candidates_match_keys import assert_keys_match_a_full_rebuild
from tests.lead_helpers import act, cb_figures, cbs, matched_request
from tests.market import confirmed_request, facts_of_a_request, fresh, make_cb, make_consultant
from workers import lifecycle as cron
from workers.matching import match_request

T0 = utcnow().replace(microsecond=0)


def _copy_of(db, provider_id: int, column: str) -> set:
    table = ProviderMatchKey.__table__
    rows = db.connection().execute(
        table.select().with_only_columns(table.c[column]).where(table.c.provider_id == provider_id)
    )
    return {value for (value,) in rows}


def test_offers_answers_expiries_and_ratings_reach_the_copies(app, db):
    from matcher.quotes import answers

    first, second = cbs(db, 2)
    offers = [offer for _ in range(3) for offer in matched_request(db, [first, second], now=T0)[1]]
    act(app, answers.submit_quote, offer_id=offers[0].id, provider_id=offers[0].provider_id,
        figures=cb_figures(), now=T0 + timedelta(hours=3))  # fmt: skip
    act(app, answers.decline_offer, offer_id=offers[1].id, provider_id=offers[1].provider_id,
        reason="too_small", now=T0 + timedelta(hours=5))  # fmt: skip
    cron.expire_offers(now=T0 + timedelta(hours=49))
    fresh(db)
    track_record.record_rating(db, first.id, 5)
    kept = assert_keys_match_a_full_rebuild(db)
    assert kept
    fresh(db)
    assert _copy_of(db, first.id, "rating_count") == {1}
    assert _copy_of(db, first.id, "offers_received") == {3}


def test_the_match_job_stamping_last_offered_reaches_the_copies(db):
    cb = make_cb(db)
    request_id = confirmed_request(db).id
    before = utcnow()
    match_request(request_id)
    assert_keys_match_a_full_rebuild(db)
    fresh(db)
    (stamped,) = _copy_of(db, cb.id, "last_offered_at")
    assert stamped >= before


def test_an_admin_suspension_takes_the_provider_out_of_matching(db):
    consultant = make_consultant(db, countries=("GB",), standards=("iso9001",))
    request = facts_of_a_request(service="consultancy")
    fresh(db)
    assert [c.provider.id for c in match_candidates(db, request, OfferHistory(), T0)[0].candidates]
    decide(db, consultant, action="suspend", reason="Complaint under review.", actor_id=None)
    assert_keys_match_a_full_rebuild(db)
    assert _copy_of(db, consultant.id, "status") == {ProviderStatus.SUSPENDED}
    fresh(db)
    ranking, selection = match_candidates(db, request, OfferHistory(), T0)
    assert ranking.candidates == [] and selection.chosen == []


def test_a_profile_edit_reaches_the_copies(db):
    consultant = make_consultant(db, countries=("GB", "IE"), sectors=(17, 28))
    update_profile(
        db,
        consultant,
        fields={
            "region": "Munster",
            "min_employees": 20,
            "max_employees": 400,
            "monthly_cap": 7,
            "day_rate": Decimal("750.00"),
            "currency": "EUR",
        },
        coverage_lists={},
        reviewed={},
    )
    assert_keys_match_a_full_rebuild(db)
    assert _copy_of(db, consultant.id, "min_employees") == {20}
    assert _copy_of(db, consultant.id, "day_rate") == {Decimal("750.00")}


def test_an_expired_accreditation_suspension_reaches_the_copies(db):
    cb = make_cb(db, expires_on=date.today() + timedelta(days=1))
    db.commit()
    suspend_expired(db, today=date.today() + timedelta(days=2))
    assert_keys_match_a_full_rebuild(db)
    assert _copy_of(db, cb.id, "status") == {ProviderStatus.SUSPENDED}

"""The pure matcher: scores, ties, the selection limits and the `both` mix."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from matcher import matching
from matcher.iso.reference import STANDARDS
from matcher.matching import (
    CERTIFICATION_BODY,
    CONSULTANT,
    OfferHistory,
    ProviderFacts,
    RequestFacts,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request(**values) -> RequestFacts:
    base = {
        "id": 1,
        "service": "certification",
        "standards": ("iso9001",),
        "sector": 17,
        "country": "GB",
        "region": "Yorkshire",
        "employees": 45,
        "currency": "GBP",
    }
    return RequestFacts(**{**base, **values})


def cb(provider_id: int, **values) -> ProviderFacts:
    base = {
        "kind": CERTIFICATION_BODY,
        "country": "GB",
        "countries": frozenset({"GB"}),
        "scope": frozenset({("iso9001", 17)}),
        "recognised_standards": frozenset(STANDARDS),
        "accreditation_expires_on": date(2027, 1, 1),
    }
    return ProviderFacts(id=provider_id, **{**base, **values})


def consultant(provider_id: int, **values) -> ProviderFacts:
    base = {
        "kind": CONSULTANT,
        "country": "GB",
        "countries": frozenset({"GB"}),
        "standards": frozenset({"iso9001"}),
    }
    return ProviderFacts(id=provider_id, **{**base, **values})


def points(component, *providers, req=None):
    """The points each provider gets for one score component."""
    return [matching.score(req or request(), p, NOW).breakdown[component] for p in providers]


def chosen_ids(req, providers, history=OfferHistory()):
    _, selection = matching.match(req, providers, history, NOW)
    return [c.provider.id for c in selection.chosen]


def test_score_is_0_to_100_and_its_breakdown_adds_up():
    candidate = matching.score(request(), cb(1), NOW)
    assert 0 <= candidate.score <= 100
    assert set(candidate.breakdown) == set(matching.WEIGHTS)
    assert abs(sum(candidate.breakdown.values()) - candidate.score) < 1e-9
    assert sum(matching.WEIGHTS.values()) == 100


def test_a_new_provider_gets_a_fair_prior_not_zero():
    newcomer = matching.score(request(), cb(1), NOW)
    assert newcomer.breakdown["responsiveness"] > 0.5 * matching.WEIGHTS["responsiveness"]
    assert newcomer.breakdown["reputation"] > 0.5 * matching.WEIGHTS["reputation"]
    poor = cb(2, offers_received=40, offers_answered=4, rating_count=20, rating_sum=30)
    assert matching.score(request(), poor, NOW).score < newcomer.score


def test_a_provider_that_answers_quickly_and_often_scores_higher_on_responsiveness():
    quick = cb(1, offers_received=20, offers_answered=19, median_response_hours=3)
    slow = cb(2, offers_received=20, offers_answered=8, median_response_hours=70)
    fast, sluggish = points("responsiveness", quick, slow)
    assert fast > sluggish


def test_a_well_rated_provider_scores_higher_on_reputation_smoothed_by_its_count():
    one_five_star = cb(1, rating_count=1, rating_sum=5)
    many_five_stars = cb(2, rating_count=30, rating_sum=150)
    few, many = points("reputation", one_five_star, many_five_stars)
    assert few < many <= matching.WEIGHTS["reputation"]


def test_same_region_beats_same_country_beats_remote_with_regions_compared_case_insensitively():
    local = cb(1, region="  yorkshire ")
    national = cb(2, region="Kent")
    remote = cb(3, country="IE", region="Yorkshire")
    same_region, same_country, elsewhere = points("locality", local, national, remote)
    assert same_region > same_country > elsewhere


def test_a_consultant_naming_the_sector_beats_a_generalist_on_sector_specialism():
    specialist = consultant(1, sectors=frozenset({17, 18}))
    generalist = consultant(2)
    req = request(service="consultancy")
    named, every = points("sector", specialist, generalist, req=req)
    assert named > every


def test_the_least_recently_served_provider_scores_higher_on_fairness():
    yesterday = cb(1, last_offered_at=NOW - timedelta(days=1), offers_last_30_days=1)
    long_ago = cb(2, last_offered_at=NOW - timedelta(days=40))
    never = cb(3)
    recent, old, none = points("fairness", yesterday, long_ago, never)
    assert recent < old <= none


def test_price_fit_prefers_a_provider_within_the_budget():
    req = request(budget=Decimal(5000), reference_days=4.0)
    cheap = cb(1, day_rate=Decimal(600), currency="GBP")
    dear = cb(2, day_rate=Decimal(2000), currency="GBP")
    unpriced = cb(3, day_rate=None)
    within, over, unknown = points("price", cheap, dear, unpriced, req=req)
    assert within == matching.WEIGHTS["price"]
    assert within > over
    assert within > unknown


def test_ties_break_deterministically_least_recently_served_first_then_lowest_id():
    providers = [
        cb(7, last_offered_at=NOW - timedelta(days=45)),
        cb(5, last_offered_at=NOW - timedelta(days=60)),
        cb(9),
        cb(3),
    ]
    ranking = matching.rank(request(), providers, OfferHistory(), NOW)
    # Everyone scores the same (all served 30+ days ago or never); never served comes first.
    assert len({round(c.score, 9) for c in ranking.candidates}) == 1
    assert [c.provider.id for c in ranking.candidates] == [3, 9, 5, 7]
    assert chosen_ids(request(), list(reversed(providers))) == [3, 9, 5]


def test_at_most_three_offers_are_open_at_a_time():
    assert len(chosen_ids(request(), [cb(i) for i in range(1, 10)])) == 3
    history = OfferHistory(offered={1: CERTIFICATION_BODY}, open={1: CERTIFICATION_BODY})
    assert len(chosen_ids(request(), [cb(i) for i in range(1, 10)], history)) == 2


def test_fewer_than_three_are_offered_only_when_fewer_fit():
    assert chosen_ids(request(), [cb(1), cb(2), cb(3, countries=frozenset({"FR"}))]) == [1, 2]


def test_a_freed_slot_goes_to_a_provider_never_offered_before():
    history = OfferHistory(
        offered={1: CERTIFICATION_BODY, 2: CERTIFICATION_BODY, 3: CERTIFICATION_BODY},
        open={2: CERTIFICATION_BODY, 3: CERTIFICATION_BODY},
    )
    assert chosen_ids(request(), [cb(i) for i in range(1, 6)], history) == [4]


def test_never_more_than_six_providers_over_a_request_life():
    offered = {i: CERTIFICATION_BODY for i in range(1, 6)}
    history = OfferHistory(offered=offered, open={})
    assert chosen_ids(request(), [cb(i) for i in range(1, 12)], history) == [6]
    history = OfferHistory(offered={**offered, 6: CERTIFICATION_BODY}, open={})
    assert chosen_ids(request(), [cb(i) for i in range(1, 12)], history) == []


def test_both_offers_at_least_one_consultant_and_one_cb_when_both_exist():
    # The CBs all outscore the consultant (same region), yet one consultant is offered.
    providers = [cb(i, region="Yorkshire") for i in range(1, 6)] + [consultant(10, region="Kent")]
    chosen = chosen_ids(request(service="both"), providers)
    assert len(chosen) == 3
    assert 10 in chosen
    assert {p.kind for p in providers if p.id in chosen} == {CONSULTANT, CERTIFICATION_BODY}


def test_both_with_only_one_kind_available_fills_the_slots_with_that_kind():
    assert chosen_ids(request(service="both"), [consultant(i) for i in range(1, 6)]) == [1, 2, 3]


def test_both_after_the_only_open_cb_declined_offers_a_cb_again():
    history = OfferHistory(
        offered={1: CONSULTANT, 2: CONSULTANT, 3: CERTIFICATION_BODY},
        open={1: CONSULTANT, 2: CONSULTANT},
    )
    providers = [consultant(i, region="Yorkshire") for i in range(4, 8)] + [cb(20, region="Kent")]
    assert chosen_ids(request(service="both"), providers, history) == [20]


def test_an_affiliated_consultant_and_cb_are_never_chosen_together():
    providers = [
        cb(1, region="Yorkshire", affiliated_ids=frozenset({2})),
        consultant(2, region="Yorkshire", sectors=frozenset({17}), affiliated_ids=frozenset({1})),
        consultant(3),
        cb(4),
    ]
    _, selection = matching.match(request(service="both"), providers, OfferHistory(), NOW)
    assert [c.provider.id for c in selection.chosen] == [1, 4, 3]
    assert 2 in selection.skipped


def test_each_hard_filter_counts_the_providers_it_removed():
    providers = [
        cb(1),
        cb(2, status="pending"),
        consultant(3),
        cb(4, scope=frozenset({("iso14001", 17)})),
        cb(5, scope=frozenset({("iso9001", 3)})),
        cb(6, recognised_standards=frozenset({"iso14001"})),
        cb(7, accreditation_expires_on=date(2026, 3, 1)),
        cb(8, countries=frozenset({"FR"})),
        cb(9, max_employees=20),
        cb(10, monthly_cap=4, offers_last_30_days=4),
        cb(11),
        cb(12, affiliated_ids=frozenset({99})),
    ]
    history = OfferHistory(offered={11: CERTIFICATION_BODY, 99: CONSULTANT})
    ranking = matching.rank(request(), providers, history, NOW)
    assert [c.provider.id for c in ranking.candidates] == [1]
    assert ranking.removed == dict.fromkeys(matching.FILTERS, 1)


def test_an_accreditation_expiring_today_still_counts():
    assert chosen_ids(request(), [cb(1, accreditation_expires_on=NOW.date())]) == [1]

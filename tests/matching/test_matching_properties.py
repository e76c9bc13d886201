"""Property tests over random markets: the selection limits hold whatever the market looks like."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import matching
from matcher.matching import CERTIFICATION_BODY, CONSULTANT, OfferHistory, ProviderFacts

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STANDARDS = ("iso9001", "iso14001", "iso27001")
SECTORS = (3, 17, 28)
COUNTRIES = ("GB", "DE")


@st.composite
def providers(draw, provider_id: int) -> ProviderFacts:
    kind = draw(st.sampled_from((CONSULTANT, CERTIFICATION_BODY)))
    standards = draw(st.frozensets(st.sampled_from(STANDARDS), min_size=1))
    sectors = draw(st.frozensets(st.sampled_from(SECTORS)))
    low = draw(st.integers(1, 60))
    last = draw(st.none() | st.integers(0, 90 * 24))
    received = draw(st.integers(0, 30))
    return ProviderFacts(
        id=provider_id,
        kind=kind,
        status=draw(st.sampled_from(("verified", "verified", "verified", "pending"))),
        country=draw(st.sampled_from(COUNTRIES)),
        region=draw(st.sampled_from((None, "North", "south"))),
        countries=draw(st.frozensets(st.sampled_from(COUNTRIES), min_size=1)),
        standards=standards if kind == CONSULTANT else frozenset(),
        sectors=sectors if kind == CONSULTANT else frozenset(),
        scope=frozenset((s, sector) for s in standards for sector in sectors or {17})
        if kind == CERTIFICATION_BODY
        else frozenset(),
        recognised_standards=draw(st.frozensets(st.sampled_from(STANDARDS)))
        if draw(st.booleans())
        else frozenset(STANDARDS),
        accreditation_expires_on=date(2026, 3, 1) + timedelta(days=draw(st.integers(-5, 400))),
        min_employees=low,
        max_employees=low + draw(st.integers(0, 500)),
        monthly_cap=draw(st.integers(1, 5)),
        offers_last_30_days=draw(st.integers(0, 5)),
        offers_received=received,
        offers_answered=draw(st.integers(0, received)),
        median_response_hours=draw(st.none() | st.floats(0.5, 96)),
        rating_count=(ratings := draw(st.integers(0, 10))),
        rating_sum=draw(st.integers(ratings, 5 * ratings)),
        last_offered_at=None if last is None else NOW - timedelta(hours=last),
        day_rate=draw(st.none() | st.integers(300, 2000).map(Decimal)),
        currency="GBP",
    )


@st.composite
def markets(draw):
    count = draw(st.integers(0, 18))
    market = [draw(providers(i)) for i in range(1, count + 1)]
    pairs = draw(
        st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), max_size=6)
        if count
        else st.just([])
    )
    links = {p.id: set() for p in market}
    for left, right in pairs:
        if left in links and right in links and left != right:
            links[left].add(right)
            links[right].add(left)
    market = [
        ProviderFacts(**{**p.__dict__, "affiliated_ids": frozenset(links[p.id])}) for p in market
    ]
    request = matching.RequestFacts(
        id=1,
        service=draw(st.sampled_from(("consultancy", "certification", "both"))),
        standards=tuple(sorted(draw(st.frozensets(st.sampled_from(STANDARDS), min_size=1)))),
        sector=draw(st.sampled_from(SECTORS)),
        country=draw(st.sampled_from(COUNTRIES)),
        region=draw(st.sampled_from((None, "north", "South "))),
        employees=draw(st.integers(1, 300)),
        budget=draw(st.none() | st.integers(500, 20000).map(Decimal)),
        currency="GBP",
        current_consultant_id=draw(st.none() | st.integers(1, 30)),
    )
    return request, market


def fits(request, provider, offered: dict[int, ProviderFacts]) -> bool:
    """An independent statement of the hard filters, written from DESIGN.md."""
    kinds = {"consultancy": {CONSULTANT}, "certification": {CERTIFICATION_BODY}}
    if provider.status != "verified":
        return False
    if provider.kind not in kinds.get(request.service, {CONSULTANT, CERTIFICATION_BODY}):
        return False
    if provider.kind == CERTIFICATION_BODY:
        if any((s, request.sector) not in provider.scope for s in request.standards):
            return False
        if not set(request.standards) <= provider.recognised_standards:
            return False
        if provider.accreditation_expires_on < NOW.date():
            return False
        if request.current_consultant_id in provider.affiliated_ids:
            return False
    else:
        if not set(request.standards) <= provider.standards:
            return False
        if provider.sectors and request.sector not in provider.sectors:
            return False
    if request.country not in provider.countries:
        return False
    if not provider.min_employees <= request.employees <= provider.max_employees:
        return False
    if provider.offers_last_30_days >= provider.monthly_cap:
        return False
    return not any(
        other.id in provider.affiliated_ids and other.kind != provider.kind
        for other in offered.values()
    )


def life_of_a_request(request, market, seed: int):
    """Match, then let random open offers be declined and re-match, until nothing changes."""
    rng = random.Random(seed)
    offered: dict[int, ProviderFacts] = {}
    open_ids: set[int] = set()
    rounds = []
    for _ in range(8):
        history = OfferHistory(
            offered={pid: p.kind for pid, p in offered.items()},
            open={pid: offered[pid].kind for pid in open_ids},
        )
        _, selection = matching.match(request, market, history, NOW)
        rounds.append((history, selection))
        for candidate in selection.chosen:
            offered[candidate.provider.id] = candidate.provider
            open_ids.add(candidate.provider.id)
        for pid in sorted(open_ids):
            if rng.random() < 0.5:
                open_ids.discard(pid)
    return rounds


@settings(max_examples=150, deadline=None)
@given(markets(), st.integers(0, 1000))
def test_random_markets_never_break_the_selection_limits(market_and_request, seed):
    request, market = market_and_request
    seen: set[int] = set()
    for history, selection in life_of_a_request(request, market, seed):
        chosen = [c.provider for c in selection.chosen]
        ids = [p.id for p in chosen]
        # Never more than three open offers, never more than six providers in total.
        assert len(history.open) + len(chosen) <= matching.MAX_OPEN_OFFERS
        assert len(history.offered) + len(chosen) <= matching.MAX_PROVIDERS_PER_REQUEST
        # Never the same provider twice for one request, across every re-match.
        assert len(ids) == len(set(ids))
        assert not set(ids) & seen
        # Never an ineligible provider, including against the ones chosen alongside it.
        offered_before = {p.id: p for p in market if p.id in history.offered}
        for provider in chosen:
            company = {**offered_before, **{p.id: p for p in chosen if p.id != provider.id}}
            assert fits(request, provider, company), provider
        seen.update(ids)


@settings(max_examples=100, deadline=None)
@given(markets(), st.randoms(use_true_random=False))
def test_the_same_input_gives_the_same_output_in_any_order(market_and_request, rnd):
    request, market = market_and_request
    shuffled = list(market)
    rnd.shuffle(shuffled)
    first = matching.match(request, market, OfferHistory(), NOW)
    again = matching.match(request, shuffled, OfferHistory(), NOW)
    assert [c.provider.id for c in first[1].chosen] == [c.provider.id for c in again[1].chosen]
    assert [(c.provider.id, c.score) for c in first[0].candidates] == [
        (c.provider.id, c.score) for c in again[0].candidates
    ]
    assert first[0].removed == again[0].removed


@settings(max_examples=100, deadline=None)
@given(markets())
def test_fewer_than_three_offers_only_when_fewer_fit(market_and_request):
    request, market = market_and_request
    ranking, selection = matching.match(request, market, OfferHistory(), NOW)
    if len(selection.chosen) < matching.MAX_OPEN_OFFERS:
        # Whoever was left out was affiliated with someone chosen.
        left_out = {c.provider.id for c in ranking.candidates} - {
            c.provider.id for c in selection.chosen
        }
        assert left_out <= set(selection.skipped)


@settings(max_examples=100, deadline=None)
@given(markets())
def test_both_gets_a_consultant_and_a_cb_whenever_an_unaffiliated_pair_fits(market_and_request):
    request, market = market_and_request
    if request.service != "both":
        return
    ranking, selection = matching.match(request, market, OfferHistory(), NOW)
    eligible = [c.provider for c in ranking.candidates]
    pair_exists = any(
        a.kind == CONSULTANT and b.kind == CERTIFICATION_BODY and b.id not in a.affiliated_ids
        for a in eligible
        for b in eligible
    )
    kinds = {c.provider.kind for c in selection.chosen}
    if pair_exists:
        assert kinds == {CONSULTANT, CERTIFICATION_BODY}


@settings(max_examples=300, deadline=None)
@given(markets(), st.integers(0, 1000), st.integers(0, 20))
def test_a_selection_settled_on_the_best_part_of_a_ranking_is_the_full_selection(
    market_and_request, seed, cut
):
    # What the SQL path relies on: select_settled on the ranking's first candidates either
    # declines (None: fetch more) or gives exactly what select gives on the whole ranking,
    # in every round of a request's life.
    request, market = market_and_request
    for history, _ in life_of_a_request(request, market, seed):
        ranking = matching.rank(request, market, history, NOW)
        full = matching.select(request, ranking.candidates, history)
        settled = matching.select_settled(request, ranking.candidates[:cut], history)
        if settled is not None:
            assert [c.provider.id for c in settled.chosen] == [c.provider.id for c in full.chosen]
            assert settled.skipped == full.skipped


def test_a_selection_never_settles_while_a_slot_could_still_be_filled():
    consultants = [
        ProviderFacts(id=i, kind=CONSULTANT, standards=frozenset({"iso9001"}), countries={"GB"})
        for i in (1, 2, 3, 4)
    ]
    request = matching.RequestFacts(
        id=1,
        service="consultancy",
        standards=("iso9001",),
        sector=17,
        country="GB",
        region=None,
        employees=10,
    )
    ranking = matching.rank(request, consultants, OfferHistory(), NOW)
    assert matching.select_settled(request, ranking.candidates[:2], OfferHistory()) is None
    settled = matching.select_settled(request, ranking.candidates[:3], OfferHistory())
    assert settled is not None and len(settled.chosen) == 3

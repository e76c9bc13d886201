"""The SQL narrowing agrees with the naive matcher that loads every provider."""

import random
from datetime import timedelta

from matcher import matching
from matcher.candidates.naive import find_candidates, load_every_provider
from matcher.candidates.narrowing import count_removed
from matcher.matching import OfferHistory, RequestFacts
from matcher.models import LeadOffer, ProviderStatus, utcnow
from tests.market import (
    affiliate,
    confirmed_request,
    facts_of_a_request,
    fresh,
    make_body,
    make_cb,
    make_consultant,
)

STANDARDS = ("iso9001", "iso14001", "iso27001", "iso50001")
SECTORS = (3, 17, 28)
COUNTRIES = ("GB", "DE", "FR")


def build_random_market(db, rng: random.Random, size: int = 50):
    """Providers of both kinds with every kind of mismatch, some at their cap, some affiliated."""
    bodies = [make_body(db), make_body(db, recognised=False), make_body(db, suspended=True)]
    today = utcnow().date()
    made = []
    for _ in range(size):
        standards = rng.sample(STANDARDS, rng.randint(1, 3))
        common = {
            "countries": rng.sample(COUNTRIES, rng.randint(1, 2)),
            "status": rng.choice([ProviderStatus.VERIFIED] * 4 + [ProviderStatus.PENDING]),
            "min_employees": rng.choice((1, 10, 50)),
            "max_employees": rng.choice((40, 200, 5000)),
            "monthly_cap": rng.randint(1, 3),
            "region": rng.choice((None, "North", "south")),
            "offers_received": rng.randint(0, 20),
            "rating_count": rng.randint(0, 4),
        }
        if rng.random() < 0.5:
            sectors = rng.sample(SECTORS, rng.randint(1, 2))
            made.append(
                make_cb(
                    db,
                    scope=[(s, sector) for s in standards for sector in sectors],
                    body=rng.choice(bodies + [bodies[0]] * 3),
                    expires_on=today + timedelta(days=rng.choice((-3, 0, 200))),
                    **common,
                )
            )
        else:
            sectors = rng.sample(SECTORS, rng.randint(0, 2))
            made.append(make_consultant(db, standards=standards, sectors=sectors, **common))
    past = confirmed_request(db, status="closed")
    for provider in rng.sample(made, size // 5):
        db.add(
            LeadOffer(
                request_id=past.id,
                provider_id=provider.id,
                offered_at=utcnow() - timedelta(days=rng.choice((2, 40))),
                expires_at=utcnow(),
            )
        )
    db.commit()
    for _ in range(size // 10):
        left, right = rng.sample(made, 2)
        if left.kind != right.kind:
            affiliate(db, left, right)
    return made


def random_request(rng: random.Random, consultant_ids: list[int]) -> RequestFacts:
    return RequestFacts(
        id=1,
        service=rng.choice(("consultancy", "certification", "both")),
        standards=tuple(rng.sample(STANDARDS, rng.randint(1, 2))),
        sector=rng.choice(SECTORS),
        country=rng.choice(COUNTRIES),
        region=rng.choice((None, "north", "South")),
        employees=rng.choice((5, 30, 120)),
        currency="GBP",
        current_consultant_id=rng.choice([None, None, *consultant_ids]),
        previous_consultant_ids=tuple(rng.sample(consultant_ids, rng.choice((0, 0, 1, 2)))),
    )


def test_indexed_matching_picks_and_ranks_exactly_like_the_naive_matcher(db):
    rng = random.Random(2026)
    market = build_random_market(db, rng)
    consultants = [p.id for p in market if p.kind == "consultant"]
    now = utcnow()
    fresh(db)
    everyone = load_every_provider(db, now, verified_only=False)
    assert len(everyone) == len(market)
    matched_somebody = 0
    for _ in range(60):
        request = random_request(rng, consultants)
        history = OfferHistory()
        narrowed = find_candidates(db, request, now)
        fast, fast_pick = matching.match(request, narrowed, history, now)
        slow, slow_pick = matching.match(request, everyone, history, now)
        assert [(c.provider.id, round(c.score, 9)) for c in fast.candidates] == [
            (c.provider.id, round(c.score, 9)) for c in slow.candidates
        ]
        assert [c.provider.id for c in fast_pick.chosen] == [
            c.provider.id for c in slow_pick.chosen
        ]
        # What SQL removed plus what Python removed is what the naive matcher removed.
        funnel = count_removed(db, request, now)
        combined = {name: funnel.get(name, 0) + fast.removed[name] for name in matching.FILTERS}
        assert combined == slow.removed
        assert funnel["eligible"] == len(narrowed)
        matched_somebody += bool(fast_pick.chosen)
    assert matched_somebody >= 10  # the market is not so hostile that nothing is ever tested


def test_the_narrowing_never_loads_providers_that_fail_a_filter_sql_can_check(db):
    fits = make_cb(db)
    make_cb(db, countries=("FR",))
    make_cb(db, scope=(("iso9001", 3),))
    make_cb(db, status=ProviderStatus.SUSPENDED)
    make_cb(db, max_employees=10)
    make_consultant(db)
    request = facts_of_a_request()
    fresh(db)
    assert [p.id for p in find_candidates(db, request, utcnow())] == [fits.id]

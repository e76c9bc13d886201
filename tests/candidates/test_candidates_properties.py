"""Property: the SQL-ranked matching gives exactly the naive matcher's ranking head and offers.

Random markets in the real database (SQLite or PostgreSQL), with many exact ties, regions
SQL cannot normalise, affiliations, providers at their cap, `both`, and re-matches with a
history. The fetch sizes are drawn small, so the head is cut short and widened often.
"""

import random
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from matcher import matching
from matcher.candidates import search as candidates
from matcher.candidates.naive import load_every_provider
from matcher.candidates.narrowing import count_removed
from matcher.candidates.search import count_eligible, match_candidates
from matcher.leads.offers import EXPLAINED_CANDIDATES
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

STANDARDS = ("iso9001", "iso14001", "iso27001")
SECTORS = (3, 17)
COUNTRIES = ("GB", "DE")
# Case, inner and outer spaces, tabs and non-ASCII letters: what SQL's lower() gets wrong.
REGIONS = (None, "North", "north", " North ", "NORTH  EAST", "North\tEast", "Nörth", "NÖRTH", "")


def _empty(db) -> None:
    db.rollback()
    for table in reversed(SQLModel.metadata.sorted_tables):
        db.execute(table.delete())
    db.commit()


def _track_record(rng: random.Random, now, alike: bool) -> dict:
    if alike:
        # The same score: only the tie-break (least recently served, then id) tells them
        # apart, and it need not follow the id order (recency is 1 for any date 30+ days ago).
        return {
            "region": "North",
            "day_rate": Decimal("900.00"),
            "currency": "GBP",
            "last_offered_at": rng.choice((None, now - timedelta(days=rng.randint(30, 90)))),
        }
    received = rng.randint(0, 12)
    answered = rng.randint(0, received)
    ratings = rng.randint(0, 4)
    return {
        "region": rng.choice(REGIONS),
        "offers_received": received,
        "offers_answered": answered,
        "median_response_hours": rng.choice((None, 0.5, 20.0, 70.0)),
        "rating_count": ratings,
        "rating_sum": sum(rng.randint(1, 5) for _ in range(ratings)),
        "last_offered_at": rng.choice(
            (None, now - timedelta(hours=rng.randint(1, 1500)), now + timedelta(hours=2))
        ),
        "day_rate": rng.choice((None, Decimal("0"), Decimal("650.00"), Decimal("912.37"))),
        "currency": rng.choice(("GBP", "EUR", None, "")),
    }


def build_market(db, rng: random.Random, size: int, alike_share: float):
    """Providers of both kinds, some exactly alike, some failing a filter, some at their cap."""
    now = utcnow()
    body, unrecognised = make_body(db), make_body(db, recognised=False)
    made = []
    for _ in range(size):
        standards = rng.sample(STANDARDS, rng.randint(1, 2))
        common = {
            "countries": rng.sample(COUNTRIES, rng.randint(1, 2)),
            "status": rng.choice([ProviderStatus.VERIFIED] * 6 + [ProviderStatus.SUSPENDED]),
            "max_employees": rng.choice((40, 5000, 5000)),
            "monthly_cap": rng.choice((0, 1, 2, 20, 20)),
            **_track_record(rng, now, rng.random() < alike_share),
        }
        if rng.random() < 0.5:
            sectors = rng.sample(SECTORS, rng.randint(1, 2))
            made.append(
                make_cb(
                    db,
                    scope=[(s, sector) for s in standards for sector in sectors],
                    body=unrecognised if rng.random() < 0.1 else body,
                    **common,
                )
            )
        else:
            sectors = rng.sample(SECTORS, rng.randint(0, 1))
            made.append(make_consultant(db, standards=standards, sectors=sectors, **common))
    past = confirmed_request(db, status="closed")
    for provider in rng.sample(made, size // 4):
        db.add(
            LeadOffer(
                request_id=past.id,
                provider_id=provider.id,
                offered_at=now - timedelta(days=rng.choice((1, 40))),
                expires_at=now,
            )
        )
    db.commit()
    pairs = {tuple(rng.sample(range(size), 2)) for _ in range(size // 6)}
    for left, right in sorted(pairs):
        affiliate(db, made[left], made[right])
    return made


def agree(db, request: RequestFacts, history: OfferHistory, everyone, now) -> list[int]:
    """Assert the optimised path matches the naive one exactly; return the providers chosen."""
    ranking, selection = match_candidates(db, request, history, now)
    slow, slow_selection = matching.match(request, everyone, history, now)
    head = [(c.provider.id, c.score, c.breakdown) for c in ranking.candidates]
    assert head == [(c.provider.id, c.score, c.breakdown) for c in slow.candidates][: len(head)]
    assert len(head) >= min(candidates.RANKED_AT_LEAST, len(slow.candidates))
    # What the admin is told: the counts over the whole market, not just what was fetched.
    kept = count_eligible(db, request, history, now)
    assert kept["eligible"] == len(slow.candidates)
    funnel = count_removed(db, request, now)
    assert {n: funnel.get(n, 0) + kept.get(n, 0) for n in matching.FILTERS} == slow.removed
    assert [c.provider.id for c in selection.chosen] == [
        c.provider.id for c in slow_selection.chosen
    ]
    assert selection.skipped == slow_selection.skipped
    return [c.provider.id for c in selection.chosen]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(4, 50),
    alike_share=st.sampled_from((0.0, 0.5, 0.9)),
    first_fetch=st.integers(1, 6),
    ranked_at_least=st.integers(1, 8),
)
def test_sql_ranked_matching_equals_the_naive_matchers_head_and_offers_in_any_market(
    db, monkeypatch, seed, size, alike_share, first_fetch, ranked_at_least
):
    monkeypatch.setattr(candidates, "FIRST_FETCH", first_fetch)
    monkeypatch.setattr(candidates, "RANKED_AT_LEAST", ranked_at_least)
    rng = random.Random(seed)
    _empty(db)
    market = build_market(db, rng, size, alike_share)
    now = utcnow()
    fresh(db)
    everyone = load_every_provider(db, now, verified_only=False)
    kinds = {p.id: p.kind for p in market}
    consultants = [p.id for p in market if p.kind == "consultant"]
    for _ in range(4):
        request = RequestFacts(
            id=1,
            service=rng.choice(("consultancy", "certification", "both", "both")),
            standards=tuple(rng.sample(STANDARDS, rng.randint(1, 2))),
            sector=rng.choice(SECTORS),
            country=rng.choice(COUNTRIES),
            region=rng.choice(REGIONS),
            employees=rng.choice((5, 120)),
            budget=rng.choice((None, Decimal("0"), Decimal("3000"), Decimal("20000"))),
            currency=rng.choice(("GBP", None)),
            current_consultant_id=rng.choice([None, *consultants]),
            previous_consultant_ids=tuple(
                rng.sample(consultants, rng.randint(0, min(len(consultants), 2)))
            ),
        )
        # A request's life: offers, some declined, re-matches with the history so far.
        offered: set[int] = set()
        open_ids: set[int] = set()
        for _ in range(4):
            history = OfferHistory(
                offered={pid: kinds[pid] for pid in offered},
                open={pid: kinds[pid] for pid in open_ids},
            )
            chosen = agree(db, request, history, everyone, now)
            offered.update(chosen)
            open_ids.update(chosen)
            open_ids = {pid for pid in open_ids if rng.random() < 0.5}


def test_the_ranking_head_always_covers_the_admins_explained_candidates():
    assert candidates.RANKED_AT_LEAST >= EXPLAINED_CANDIDATES
    assert candidates.FIRST_FETCH > candidates.RANKED_AT_LEAST


def test_both_fetches_more_when_the_best_candidates_are_all_of_one_kind(db, monkeypatch):
    monkeypatch.setattr(candidates, "FIRST_FETCH", 1)
    monkeypatch.setattr(candidates, "RANKED_AT_LEAST", 1)
    now = utcnow()
    # Consultants who answer every lead at once outrank every CB; the mix still needs a CB.
    for _ in range(4):
        make_consultant(db, offers_received=50, offers_answered=50, median_response_hours=0.5)
    cbs = [make_cb(db, offers_received=50, offers_answered=0) for _ in range(3)]
    request = facts_of_a_request(service="both")
    fresh(db)
    _, selection = match_candidates(db, request, OfferHistory(), now)
    kinds = [c.provider.kind for c in selection.chosen]
    assert sorted(kinds) == ["certification_body", "consultant", "consultant"]
    assert cbs[0].id in [c.provider.id for c in selection.chosen]

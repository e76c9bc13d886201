"""Benchmark one request's matching (SQL narrowing + scoring + selection) at market scale.

    .venv/bin/python benchmarks/matching.py                       # SQLite, 1k/10k/100k
    .venv/bin/python benchmarks/matching.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL the script creates a private database next to the one named, and drops
it at the end; SQLite runs in a temporary file. For each market size it builds a market of
verified providers with the distributions of issue 4, draws random requests from the same
distributions, and reports p50/p95 of the indexed path (what `match_request` runs, minus the
writes) against the naive baseline (every verified provider and its scope through the ORM,
filtered and scored in Python). Results are printed as a Markdown table for BENCHMARKS.md.
"""

import argparse
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CERTMATCH_TESTING", "1")

from sqlalchemy import create_engine, delete, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from matcher import matching
from matcher.candidates.naive import load_every_provider  # noqa: E402
from matcher.candidates.narrowing import count_removed  # noqa: E402
from matcher.candidates.search import count_eligible, match_candidates, reference_days  # noqa: E402
from matcher.config import normalise_database_url  # noqa: E402
from matcher.db import make_engine  # noqa: E402
from matcher.iso import reference  # noqa: E402
from matcher.iso.schemes import SCHEMES  # noqa: E402
from matcher.matching import OfferHistory, RequestFacts  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402
from matcher.models import (  # noqa: E402
    AccreditationBody,
    AccreditationScope,
    Affiliation,
    BodySchemeRecognition,
    LeadOffer,
    Provider,
    ProviderCountry,
    ProviderMatchKey,
    ProviderSector,
    ProviderStandard,
    QuoteRequest,
    rebuild_match_keys,
)

COUNTRIES = [
    "DE", "GB", "FR", "IT", "ES", "NL", "PL", "US", "IN", "CN", "BR", "TR", "SE", "BE", "AT",
    "CH", "PT", "CZ", "RO", "GR", "IE", "DK", "FI", "NO", "HU", "ZA", "AU", "CA", "MX", "JP",
    "KR", "SG", "AE", "SA", "EG", "MA", "NG", "KE", "AR", "CL",
]  # fmt: skip
STANDARD_SHARES = {
    "iso9001": 0.70,
    "iso14001": 0.40,
    "iso45001": 0.30,
    "iso27001": 0.25,
    "iso22000": 0.08,
    "iso13485": 0.06,
    "iso50001": 0.07,
}
REGIONS = ("North", "South", "East", "West", "Capital")
SECTORS = range(1, 40)
CB_SHARE = 0.60
AT_CAP_SHARE = 0.10
SOME_USE_SHARE = 0.20
AFFILIATED_SHARE = 0.02
BATCH = 5000


@cache
def country_weights(top_share: float = 0.20) -> list[float]:
    """Zipf-like weights over the 40 countries, the exponent chosen so the top one has ~20%."""
    low, high = 0.0, 3.0
    for _ in range(60):
        exponent = (low + high) / 2
        raw = [1 / (rank + 1) ** exponent for rank in range(len(COUNTRIES))]
        share = raw[0] / sum(raw)
        low, high = (exponent, high) if share < top_share else (low, exponent)
    total = sum(raw)
    return [w / total for w in raw]


def _standards(rng: random.Random) -> list[str]:
    chosen = [s for s, share in STANDARD_SHARES.items() if rng.random() < share]
    return chosen or ["iso9001"]


def _employee_range(rng: random.Random) -> tuple[int, int]:
    low = rng.choice((1, 1, 1, 5, 10, 50, 250))
    high = rng.choice((50, 250, 1000, 5000, 100_000))
    return (low, high) if high > low else (1, high)


def build_market(engine, size: int, rng: random.Random, now: datetime) -> None:
    """Fill an empty schema with `size` verified providers and their scope."""
    weights = country_weights()
    bodies = [
        {
            "id": i + 1,
            "acronym": f"AB{i}",
            "name": f"Body {i}",
            "recognised": i != 0,
            "suspended": i == 1,
        }
        for i in range(20)
    ]
    # Per IAF MLA scheme: body 0 is confirmed for none, every third body not for ISMS or FSMS.
    recognitions = [
        {
            "body_id": body["id"],
            "scheme": scheme,
            "status": "unconfirmed"
            if not body["recognised"] or (i % 3 == 2 and scheme in ("ISMS", "FSMS"))
            else "confirmed",
        }
        for i, body in enumerate(bodies)
        for scheme in SCHEMES
    ]
    providers, countries, standards, sectors, scopes, affiliations = [], [], [], [], [], []
    usage: list[tuple[int, int]] = []
    cb_ids, consultant_ids = [], []
    for pid in range(1, size + 1):
        is_cb = rng.random() < CB_SHARE
        home = rng.choices(COUNTRIES, weights)[0]
        served = {home}
        if rng.random() < 0.3:
            served.update(rng.choices(COUNTRIES, weights, k=rng.randint(1, 2)))
        low, high = _employee_range(rng)
        cap = rng.randint(5, 40)
        received = rng.randint(0, 200)
        answered = rng.randint(0, received)
        ratings = rng.randint(0, 30)
        providers.append(
            {
                "id": pid,
                "kind": "certification_body" if is_cb else "consultant",
                "name": f"Provider {pid}",
                "email": f"p{pid}@bench.example",
                "status": "verified",
                "country": home,
                "region": rng.choice(REGIONS),
                "min_employees": low,
                "max_employees": high,
                "monthly_cap": cap,
                "day_rate": Decimal(rng.randrange(600, 1700, 50)),
                "currency": reference.currency_for_country(home),
                "accreditation_body_id": rng.randint(1, 20) if is_cb else None,
                "accreditation_expires_on": (
                    date(2020, 1, 1) if is_cb and rng.random() < 0.03 else date(2030, 1, 1)
                )
                if is_cb
                else None,
                "offers_received": received,
                "offers_answered": answered,
                "median_response_hours": rng.uniform(1, 72) if answered else None,
                "rating_count": ratings,
                "rating_sum": sum(rng.randint(2, 5) for _ in range(ratings)),
                "last_offered_at": now - timedelta(hours=rng.uniform(1, 24 * 60))
                if received
                else None,
            }
        )
        countries.extend({"provider_id": pid, "country": c} for c in served)
        offered = _standards(rng)
        standards.extend({"provider_id": pid, "standard": s} for s in offered)
        if is_cb:
            cb_ids.append(pid)
            accredited = rng.sample(SECTORS, rng.randint(1, 8))
            scopes.extend(
                {"provider_id": pid, "standard": s, "sector": sector}
                for s in offered
                for sector in accredited
            )
        else:
            consultant_ids.append(pid)
            if rng.random() < 0.6:
                named = rng.sample(SECTORS, rng.randint(1, 6))
                sectors.extend({"provider_id": pid, "sector": sector} for sector in named)
        draw = rng.random()
        if draw < AT_CAP_SHARE:
            usage.append((pid, cap))
        elif draw < AT_CAP_SHARE + SOME_USE_SHARE:
            usage.append((pid, rng.randint(1, cap - 1)))
    for pid in rng.sample(consultant_ids, int(len(consultant_ids) * AFFILIATED_SHARE)):
        # In force (admin-approved): only confirmed affiliations weigh on matching.
        affiliations.append(
            {
                "provider_id": pid,
                "affiliated_provider_id": rng.choice(cb_ids),
                "confirmed_at": now,
                "confirmed_via": "admin",
            }
        )
    most = max((count for _, count in usage), default=0)
    requests = [_past_request(i) for i in range(1, most + 1)]
    offers = [
        {
            "request_id": k,
            "provider_id": pid,
            "status": "declined",
            "offered_at": now - timedelta(days=rng.uniform(0, 29)),
            "expires_at": now,
        }
        for pid, count in usage
        for k in range(1, count + 1)
    ]
    with engine.begin() as conn:
        for model, rows in (
            (AccreditationBody, bodies),
            (BodySchemeRecognition, recognitions),
            (Provider, providers),
            (ProviderCountry, countries),
            (ProviderStandard, standards),
            (ProviderSector, sectors),
            (AccreditationScope, scopes),
            (Affiliation, affiliations),
            (QuoteRequest, requests),
            (LeadOffer, offers),
        ):
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(model.__table__), rows[start : start + BATCH])
        # Core inserts skip the ORM listeners that keep the match key in sync.
        rebuild_match_keys(conn)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('provider_id_seq', (SELECT max(id) FROM provider))"))
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a market that grew this big (SQLite gets no ANALYZE: the
        # app never runs one, and the narrowing must not depend on it).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _past_request(number: int) -> dict:
    return {
        "id": number,
        "public_id": uuid.uuid4().hex,
        "fingerprint": uuid.uuid4().hex * 2,
        "company_name": "Past Co",
        "contact_name": "Past",
        "email": "past@bench.example",
        "country": "GB",
        "sector": 1,
        "employees": 10,
        "standards": "iso9001",
        "service": "certification",
        "certification_status": "new",
        "timeline": "asap",
        "currency": "GBP",
        "status": "closed",
    }


def random_request(rng: random.Random, number: int) -> RequestFacts:
    """A request drawn from the market's own distributions (standards asked for as offered)."""
    country = rng.choices(COUNTRIES, country_weights())[0]
    wanted = [s for s, share in STANDARD_SHARES.items() if rng.random() < share]
    while not wanted:
        wanted = [s for s, share in STANDARD_SHARES.items() if rng.random() < share]
    employees = int(round(10 ** rng.uniform(0, 3.3)))
    return RequestFacts(
        id=number,
        service=rng.choices(("consultancy", "certification", "both"), (0.3, 0.4, 0.3))[0],
        standards=tuple(wanted),
        sector=rng.choice(SECTORS),
        country=country,
        region=rng.choice((*REGIONS, None)),
        employees=employees,
        budget=rng.choice((None, 3000, 8000, 20000)),
        currency=reference.currency_for_country(country),
        reference_days=reference_days(employees),
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(engine, requests: list[RequestFacts], now: datetime, naive_count: int) -> dict:
    """Time the indexed path for every request and the naive path for the first few."""
    history = OfferHistory()
    fast, naive, explain, sizes = [], [], [], []
    with Session(engine) as session:
        # Steady state, as in a long-running worker: each request shape's statement has been
        # compiled once (SQLAlchemy's cache) before the timed pass.
        for facts in requests:
            match_candidates(session, facts, history, now)
            session.rollback()
        for facts in requests:
            # The job already holds a connection (it locked the request): time the matching.
            session.execute(text("SELECT 1"))
            start = time.perf_counter()
            ranking, _ = match_candidates(session, facts, history, now)
            fast.append((time.perf_counter() - start) * 1000)
            sizes.append(count_eligible(session, facts, history, now)["eligible"])
            session.rollback()
        for facts in requests[:naive_count]:
            session.execute(text("SELECT 1"))
            start = time.perf_counter()
            everyone = load_every_provider(session, now)
            slow_ranking, slow_selection = matching.match(facts, everyone, history, now)
            naive.append((time.perf_counter() - start) * 1000)
            session.rollback()
            # The two paths must agree, or the speed-up means nothing.
            ranking, selection = match_candidates(session, facts, history, now)
            session.rollback()
            head = [(c.provider.id, c.score) for c in ranking.candidates]
            assert head == [(c.provider.id, c.score) for c in slow_ranking.candidates][: len(head)]
            eligible = count_eligible(session, facts, history, now)["eligible"]
            assert eligible == len(slow_ranking.candidates)
            assert [c.provider.id for c in selection.chosen] == [
                c.provider.id for c in slow_selection.chosen
            ], f"indexed and naive matching disagree for {facts}"
        for facts in requests[:naive_count]:
            start = time.perf_counter()
            count_removed(session, facts, now)
            count_eligible(session, facts, history, now)
            explain.append((time.perf_counter() - start) * 1000)
            session.rollback()
    return {
        "p50": _percentile(fast, 0.50),
        "p95": _percentile(fast, 0.95),
        "naive_p50": _percentile(naive, 0.50),
        "naive_p95": _percentile(naive, 0.95),
        "explain_p50": _percentile(explain, 0.50),
        "max": max(fast),
        "candidates_p50": _percentile(sizes, 0.50),
        "candidates_p95": _percentile(sizes, 0.95),
    }


def _empty(engine) -> None:
    with engine.begin() as conn:
        for model in (
            LeadOffer,
            QuoteRequest,
            Affiliation,
            AccreditationScope,
            ProviderMatchKey,
            ProviderSector,
            ProviderStandard,
            ProviderCountry,
            Provider,
            BodySchemeRecognition,
            AccreditationBody,
        ):
            conn.execute(delete(model.__table__))


def _database(url: str | None):
    """A fresh, migrated database; returns (url, cleanup)."""
    if not url or url.startswith("sqlite"):
        path = Path(tempfile.mkdtemp(prefix="certmatch-bench-")) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        return url, lambda: None
    server = make_url(normalise_database_url(url))
    name = f"certmatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    bench_url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(bench_url)

    def cleanup():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return bench_url, cleanup


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server URL; default SQLite"
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--naive-requests", type=int, default=5)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    url, cleanup = _database(args.database_url)
    engine = make_engine(url, immediate=False)
    now = datetime.now(UTC)
    backend = engine.dialect.name
    print(f"# {backend}: {platform.python_implementation()} {platform.python_version()}, ", end="")
    print(f"{os.cpu_count()} CPUs, {platform.platform()}")
    print(
        "| providers | eligible p50 / p95 | indexed p50 | indexed p95 | indexed max "
        "| naive p50 | naive p50 / indexed p50 | naive p50 / indexed p95 | funnel p50 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            rng = random.Random(args.seed + size)
            _empty(engine)
            build_market(engine, size, rng, now)
            requests = [random_request(rng, i) for i in range(args.requests)]
            r = measure(engine, requests, now, args.naive_requests)
            print(
                f"| {size:,} | {r['candidates_p50']:.0f} / {r['candidates_p95']:.0f} "
                f"| {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['max']:.0f} ms "
                f"| {r['naive_p50']:,.0f} ms | {r['naive_p50'] / r['p50']:,.0f}x "
                f"| {r['naive_p50'] / r['p95']:,.0f}x | {r['explain_p50']:.0f} ms |",
                flush=True,
            )
    finally:
        engine.dispose()
        cleanup()


if __name__ == "__main__":
    main()

"""Benchmark: gunicorn on PostgreSQL + Redis under N concurrent clients, against a bare form.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m benchmarks.load [--clients 32] [--seconds 60] [--workers 5]

A private PostgreSQL database and Redis db number (made and dropped here) hold the demo market
(`seed_demo`). Two runs under the same gunicorn settings and client load, one after the other:
the baseline (a bare Flask-WTF form view, one INSERT per POST) and CertMatch (`wsgi:app`).
Each client is a thread speaking HTTP through http.client with its own cookies, looping over
what users do: a business (form GET + POST with its CSRF token and cookie, its request page,
the confirm POST, the demo business's page with quotes), a provider (login, inbox, lead page)
and an admin (login, requests, providers, stalled queue, mail). The rate limits are raised
through RATE_LIMIT_QUOTE / RATE_LIMIT_LOGIN / RATE_LIMIT_LOGIN_ACCOUNT, and the run sets
ADMIN_TWO_FACTOR=optional (the demo admin has no TOTP secret). No worker runs: the confirm
POST's match job waits in the private Redis db, which is emptied at the end.
"""

import argparse
import http.client
import itertools
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

os.environ.setdefault("CERTMATCH_TESTING", "1")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from benchmarks.common import (  # noqa: E402
    SECRET,
    claimed_redis_database,
    machine,
    percentile,
    throwaway_database,
)
from benchmarks.request_form import bare_app  # noqa: E402
from matcher import create_app  # noqa: E402
from matcher.accounts.users import create_user  # noqa: E402
from matcher.db import transaction  # noqa: E402
from matcher.demo import data as demo  # noqa: E402
from matcher.demo.leads import DEMO_BUSINESS_EMAIL  # noqa: E402
from matcher.embedded_redis import free_port  # noqa: E402
from matcher.links import request_token  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402
from matcher.models import (  # noqa: E402
    LeadOffer,
    Provider,
    ProviderStatus,
    QuoteRequest,
    Role,
    User,
    utcnow,
)
from tests.factories import request_form  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
ERROR = re.compile(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]{1,120})')
NO_LIMIT = "1000000 per minute"


class Client:
    """One user agent: a cookie jar and timed requests, a new connection each time."""

    def __init__(self, port: int, stats: "Stats", index: int):
        self.port, self.stats, self.cookies, self.status = port, stats, {}, 0
        self.index = index  # whose accounts it signs in with: a login ends older sessions

    def request(self, route: str, method: str, path: str, form: dict | None = None, ok=(200,)):
        """Send one request, record its latency under route; return the body text."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            conn.close()
        except OSError as error:
            self.stats.error(route, repr(error))
            self.status = 0
            return ""
        self.status = response.status
        self.stats.record(route, (time.perf_counter() - started) * 1000)
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if response.status not in ok:
            why = ERROR.search(text)
            self.stats.error(route, f"HTTP {response.status} {why.group(1) if why else ''}")
        return text

    def form_token(self, route: str, path: str) -> str:
        """GET a page and return its CSRF token."""
        match = TOKEN.search(self.request(route, "GET", path))
        return match.group(1) if match else ""


class Stats:
    """Latencies and errors per route, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.accepted = 0

    def record(self, route: str, ms: float) -> None:
        with self.lock:
            self.samples[route].append(ms)

    def error(self, route: str, what: str) -> None:
        with self.lock:
            self.errors[route].append(what)

    def accept(self) -> None:
        with self.lock:
            self.accepted += 1


def business(client: Client, ctx: dict, n: int) -> None:
    """Fill in the form, open the request's page from its link, confirm, view quotes."""
    email = f"load{n}-{uuid.uuid4().hex[:8]}@bench.example"
    token = client.form_token("GET /quote", "/quote")
    data = {**request_form(email=email, company_name=f"Load {n}"), "csrf_token": token}
    client.request("POST /quote", "POST", "/quote", data, ok=(303,))
    if client.status != 303:
        return
    client.stats.accept()
    with ctx["engine"].connect() as conn:  # the link from the confirmation mail
        public_id = conn.execute(
            select(QuoteRequest.public_id).where(QuoteRequest.email == email)
        ).scalar_one_or_none()
    if public_id is None:
        client.stats.error("POST /quote", "accepted but no row")
        return
    with ctx["app"].app_context():
        link = f"/r/{request_token(public_id)}"
    token = client.form_token("GET /r/<token> (before confirming)", link)
    client.request("POST /r/<token> (confirm)", "POST", link, {"csrf_token": token}, ok=(303,))
    client.request("GET /r/<token> (with quotes)", "GET", ctx["quotes_link"])


def login(client: Client, email: str, password: str) -> None:
    """Sign in through the login form."""
    token = client.form_token("GET /login", "/login")
    form = {"email": email, "password": password, "csrf_token": token}
    client.request("POST /login", "POST", "/login", form, ok=(303,))


def provider(client: Client, ctx: dict, n: int) -> None:
    """A demo provider signs in and reads its inbox and a lead, three times over."""
    email, offer_id = ctx["providers"][client.index]
    login(client, email, demo.PROVIDER_PASSWORD)
    for _ in range(3):
        client.request("GET /provider/ (inbox)", "GET", "/provider/")
        client.request("GET /provider/leads/<id>", "GET", f"/provider/leads/{offer_id}")


def admin(client: Client, ctx: dict, n: int) -> None:
    """An admin signs in and reads the list pages."""
    login(client, *ctx["admins"][client.index])
    for path in ("/admin/requests", "/admin/providers", "/admin/requests/stalled", "/admin/mail"):
        client.request(f"GET {path}", "GET", path)


def baseline(client: Client, ctx: dict, n: int) -> None:
    """The bare form: GET with its token, POST one row."""
    token = client.form_token("GET /quote", "/quote")
    data = {"company_name": f"Load {n}", "email": "a@b.example", "csrf_token": token}
    client.request("POST /quote", "POST", "/quote", data, ok=(303,))
    if client.status == 303:
        client.stats.accept()


def drive(port: int, clients: int, seconds: float, scenarios, ctx: dict) -> tuple[Stats, float]:
    """Run `clients` threads through the scenarios for `seconds`; return stats and wall time."""
    stats, counter, stop = Stats(), itertools.count(), time.monotonic() + seconds

    def loop(index: int) -> None:
        for turn in itertools.count(index):
            if time.monotonic() >= stop:
                return
            scenarios[turn % len(scenarios)](Client(port, stats, index), ctx, next(counter))

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - started


def gunicorn(app_spec: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    """Start gunicorn with the benchmark's settings and wait for it to answer."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/quote")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {app_spec} did not answer")


def report(title: str, stats: Stats, wall: float, rows: int) -> None:
    """Print one run's table: per route throughput, p50/p95/p99 and errors."""
    print(f"\n{title}  (load average {os.getloadavg()[0]:.1f} at the end)")
    print("| route | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    total = 0
    for route, samples in stats.samples.items():
        total += len(samples)
        errors = len(stats.errors.get(route, []))
        print(
            f"| {route} | {len(samples) / wall:.1f} | {percentile(samples, 50):.1f} | "
            f"{percentile(samples, 95):.1f} | {percentile(samples, 99):.1f} | {errors} |"
        )
    all_errors = sum(len(e) for e in stats.errors.values())
    print(f"all routes: {total / wall:.1f} requests/s over {wall:.0f} s, {all_errors} errors")
    for route, errors in stats.errors.items():
        print(f"  {route}: {sorted(set(errors))[:5]}")
    print(f"form posts accepted (303): {stats.accepted}, rows written: {rows}")


def accounts(app, clients: int) -> dict:
    """One provider with an open lead and one admin per client, and the demo quotes link."""
    with app.app_context(), transaction() as session:
        quote_request = session.exec(
            select(QuoteRequest).where(QuoteRequest.email == DEMO_BUSINESS_EMAIL)
        ).one()
        rows = session.exec(  # verified ones: a pending provider's inbox sends it to its review
            select(User.email, User.provider_id)
            .join(Provider, Provider.id == User.provider_id)
            .where(Provider.status == ProviderStatus.VERIFIED)
        ).all()[:clients]
        if len(rows) < clients:
            raise SystemExit(f"the demo market has {len(rows)} provider logins, not {clients}")
        providers = []
        for email, provider_id in rows:
            offer = session.exec(
                select(LeadOffer)
                .where(LeadOffer.provider_id == provider_id)
                .where(LeadOffer.request_id == quote_request.id)
            ).first()
            if offer is None:  # an open lead for every provider that signs in
                offer = LeadOffer(
                    request_id=quote_request.id,
                    provider_id=provider_id,
                    expires_at=utcnow() + timedelta(days=2),
                )
                session.add(offer)
                session.flush()
            providers.append((email, offer.id))
        admins = []
        for index in range(clients):
            email = f"admin{index}@load.example"
            password = demo.random_password(email)
            create_user(session, email=email, password=password, role=Role.ADMIN,
                        email_confirmed=True)  # fmt: skip
            admins.append((email, password))
        link = f"/r/{request_token(quote_request.public_id)}"
    return {"providers": providers, "admins": admins, "quotes_link": link}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=5)
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_server = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    print(f"machine: {machine()}; load average before: {os.getloadavg()}")
    with (
        claimed_redis_database(redis_server) as redis_url,
        throwaway_database(database, "") as url,
    ):
        upgrade(url)
        settings = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET}
        app = create_app({**settings, "RATELIMIT_ENABLED": False, "SMTP_HOST": None})
        demo.seed_demo(app, known_logins=True)
        bare_app(url)  # creates its table once, before gunicorn's workers import it
        engine = create_engine(url, pool_size=args.clients)
        ctx = {"app": app, "engine": engine, **accounts(app, args.clients)}
        env = {k: v for k, v in os.environ.items() if k != "CERTMATCH_TESTING"}
        env.update(settings, RATE_LIMIT_QUOTE=NO_LIMIT, RATE_LIMIT_LOGIN=NO_LIMIT)
        env.update(RATE_LIMIT_LOGIN_ACCOUNT=NO_LIMIT, ADMIN_TWO_FACTOR="optional")
        port = free_port()
        runs = [
            ("baseline: bare Flask-WTF form, one INSERT",
             f"benchmarks.request_form:bare_app({url!r})",
             [baseline], "SELECT count(*) FROM bare_request"),
            ("CertMatch (wsgi:app)", "wsgi:app", [business, provider, admin],
             "SELECT count(*) FROM quote_request WHERE email LIKE 'load%@bench.example'"),
        ]  # fmt: skip
        results = []
        for title, spec, scenarios, count in runs:
            server = gunicorn(spec, port, args.workers, env)
            try:
                stats, wall = drive(port, args.clients, args.seconds, scenarios, ctx)
            finally:
                server.terminate()
                server.wait(timeout=30)
            with engine.connect() as conn:
                rows = conn.execute(text(count)).scalar_one()
            report(title, stats, wall, rows)
            results.append(stats.samples["POST /quote"])
        base, real = results
        ratios = [percentile(real, p) / percentile(base, p) for p in (50, 95, 99)]
        print("POST /quote against the baseline, p50 / p95 / p99: "
              + " / ".join(f"{r:.1f}x" for r in ratios))  # fmt: skip
        engine.dispose()
    print(f"\ngunicorn: {args.workers} sync workers; {args.clients} clients; {args.seconds:.0f} s")


if __name__ == "__main__":
    main()

"""Test fixtures: a private database, a private Redis database, a real SMTP sink.

With DATABASE_URL / REDIS_URL set (CI), tests run against those servers, in a fresh
database and an unused Redis database number; without them, SQLite and a private Redis.
"""

import os
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
import redis
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

os.environ["CERTMATCH_TESTING"] = "1"
os.environ.pop("CERTMATCH_DEMO", None)

from matcher import create_app  # noqa: E402
from matcher.config import normalise_database_url  # noqa: E402
from matcher.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


# ---------------------------------------------------------------- database


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of this test run's own, migrated to head."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'certmatch.db'}"
        upgrade(url)
        yield url
        return
    server = make_url(normalise_database_url(server_url))
    name = f"certmatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _empty_tables(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


# ---------------------------------------------------------------- redis

_LOCK_KEY = "certmatch:test-run-lock"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis database number no other test run uses right now."""
    server_url = os.environ.get("REDIS_URL")
    if not server_url:
        server = EmbeddedRedis(directory=str(tmp_path_factory.mktemp("redis"))).start()
        yield server.url
        server.stop()
        return
    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        url = f"{base}/{number}"
        conn = redis.Redis.from_url(url)
        if conn.set(_LOCK_KEY, token, nx=True, ex=3 * 3600):
            conn.flushdb()
            conn.set(_LOCK_KEY, token, ex=3 * 3600)
            yield url
            conn.flushdb()
            conn.close()
            return
        conn.close()
    pytest.exit("no free Redis database number for this test run", returncode=3)


def _flush_redis(url: str) -> None:
    conn = redis.Redis.from_url(url)
    lock = conn.get(_LOCK_KEY)
    conn.flushdb()
    if lock:
        conn.set(_LOCK_KEY, lock, ex=3 * 3600)
    conn.close()


# ---------------------------------------------------------------- mail


class SMTPSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  aiosmtpd hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        """Wait until `count` messages arrived; return them."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)

    def to(self, address: str) -> list:
        """Messages addressed to `address`."""
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


# ---------------------------------------------------------------- app


@pytest.fixture
def app_env(database_url, redis_url, smtp_sink) -> dict[str, str]:
    """The environment a worker or cron subprocess needs to join this test's app."""
    return {
        **os.environ,
        "CERTMATCH_TESTING": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink.port),
        "BASE_URL": "http://certmatch.test",
    }


@pytest.fixture
def app(database_url, redis_url, smtp_sink):
    """A CertMatch app on empty tables, an empty Redis database and an empty mailbox."""
    application = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_sink.port,
            "BASE_URL": "http://certmatch.test",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    engine = application.extensions["certmatch.engine"]
    _empty_tables(engine)
    _flush_redis(redis_url)
    smtp_sink.messages.clear()
    application.test_client_class = IsolatedClient
    yield application
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets a fresh app context (and so a fresh `g`).

    Without it, requests made while the `db` fixture's app context is pushed would share
    that context's `g`: the logged-in user and the request's database session would leak
    from one request (or one client) to the next.
    """

    def run_wsgi_app(self, environ, buffered=False):
        # Per WSGI call, not per open(): a followed redirect is a request of its own.
        with self.application.app_context():
            return super().run_wsgi_app(environ, buffered=buffered)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A session for arranging and inspecting data directly.

    Its SQLite transactions are deferred, so a look at the data never holds the write lock
    that the app and its workers need. Still: commit or roll back before running jobs, and
    read plain values (or expunge objects) — touching an expired object after a rollback opens
    a new transaction whose SQLite snapshot will not see what the app commits afterwards.
    """
    from sqlmodel import Session

    from matcher.db import make_engine

    engine = make_engine(app.config["DATABASE_URL"], immediate=False)
    with app.app_context(), Session(engine) as session:
        yield session
    engine.dispose()


def run_jobs(app) -> None:
    """Run every queued job to completion in this process (RQ's SimpleWorker, burst mode)."""
    from tests.burst_worker import drain

    drain(app)


@pytest.fixture
def jobs(app):
    """Call `jobs()` to drain the queues through a real RQ worker."""
    return lambda: run_jobs(app)

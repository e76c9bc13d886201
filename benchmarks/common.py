"""Shared helpers for the benchmark scripts: timing, percentiles, throwaway databases."""

import os
import platform
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from matcher.config import normalise_database_url


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Run func `repeat` times; return each run's wall time in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    """p50 / p95 / mean of millisecond samples, as one line."""
    return (
        f"p50 {percentile(samples, 50):7.2f} ms   p95 {percentile(samples, 95):7.2f} ms   "
        f"mean {statistics.fmean(samples):7.2f} ms   n={len(samples)}"
    )


def machine() -> str:
    """One line describing this machine."""
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    python = platform.python_version()
    return f"{platform.node()} · {cpu} cores · {platform.platform()} · Python {python}"


TEST_RUN_LOCK = "certmatch:test-run-lock"  # the same key tests/conftest.py claims


@contextmanager
def claimed_redis_database(server_url: str) -> Iterator[str]:
    """A Redis database number no test run or other benchmark holds; emptied after."""
    import redis

    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url
    for number in range(15, 0, -1):
        url = f"{base}/{number}"
        conn = redis.Redis.from_url(url)
        if conn.set(TEST_RUN_LOCK, "benchmark", nx=True, ex=3600):
            try:
                yield url
            finally:
                conn.flushdb()
                conn.close()
            return
        conn.close()
    raise RuntimeError("no free Redis database number")


@contextmanager
def throwaway_database(server_url: str | None, tmp_dir: str) -> Iterator[str]:
    """A fresh PostgreSQL database on server_url (dropped after), or a SQLite file."""
    if not server_url:
        yield f"sqlite:///{os.path.join(tmp_dir, f'bench-{uuid.uuid4().hex[:8]}.db')}"
        return
    server = make_url(normalise_database_url(server_url))
    name = f"certmatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


SECRET = "benchmark-secret-key"


def app_settings(database_url: str, redis_url: str, smtp_port: int) -> dict[str, str]:
    """The environment a benchmark's app, workers and cron share (as strings, for processes)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "BASE_URL": "http://certmatch.bench",
    }


def noop() -> None:
    """The baseline job: nothing at all."""

"""Fault-test fixtures: a private redis-server the test may stop, and the processes it started."""

import shutil
from collections.abc import Iterator

import pytest

from matcher import queue
from matcher.embedded_redis import EmbeddedRedis, free_port
from tests.faults.processes import Processes


class PrivateRedis:
    """A redis-server on a free port, for this test alone: stop and start it at will."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: EmbeddedRedis | None = None

    def start(self) -> None:
        """Start it (again, on the same port: like a restart, with nothing persisted)."""
        self.server = EmbeddedRedis(directory=str(self.directory), port=self.port).start()

    def stop(self) -> None:
        """Stop it; clients see connections refused."""
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH to stop and restart it")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_app(app, private_redis):
    """The test's app on the private Redis, as the processes are."""
    app.config["REDIS_URL"] = private_redis.url
    queue.init_app(app)
    return app


@pytest.fixture
def processes(app_env, private_redis, tmp_path) -> Iterator[Processes]:
    """Start real processes on the test's database, private Redis and SMTP sink; all stop after."""
    env = {
        **app_env,
        "REDIS_URL": private_redis.url,
        "CERTMATCH_NO_RATE_LIMIT": "1",
        "PYTHONUNBUFFERED": "1",
        # Lost work goes back on a queue within seconds, not a minute.
        "OUTBOX_SWEEP_AFTER_SECONDS": "2",
        "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
    }
    running = Processes(env, tmp_path / "logs")
    yield running
    running.stop_all()

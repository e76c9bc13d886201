"""The RQ queues on Redis, and enqueueing that survives a Redis outage."""

from pathlib import Path

from flask import Flask, current_app
from redis import Redis
from rq import Queue

# Short timeouts: a Redis outage must delay work, not hang a page.
CONNECT_TIMEOUT_SECONDS = 0.5
SOCKET_TIMEOUT_SECONDS = 5


def redis_url(app: Flask) -> str:
    """REDIS_URL, or the embedded server's socket in the instance folder."""
    return app.config["REDIS_URL"] or f"unix://{Path(app.instance_path) / 'redis.sock'}?db=0"


def limiter_storage_uri(app: Flask) -> str:
    """The same Redis in the notation of the `limits` package."""
    url = redis_url(app)
    if url.startswith("unix://"):
        path, _, query = url.removeprefix("unix://").partition("?")
        return f"redis+unix://{path}" + (f"?{query}" if query else "")
    return url


def init_app(app: Flask) -> None:
    """Create the Redis connection for this app (connections are opened lazily)."""
    app.extensions["certmatch.redis"] = Redis.from_url(
        redis_url(app),
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def get_redis() -> Redis:
    """Return the app's Redis connection."""
    return current_app.extensions["certmatch.redis"]


def get_queue(name: str = "default") -> Queue:
    """Return one of the app's RQ queues."""
    return Queue(name, connection=get_redis())


def redis_is_up() -> bool:
    """Tell whether Redis answers a PING right now."""
    try:
        return bool(get_redis().ping())
    except Exception:  # noqa: BLE001  any failure means "not up"
        return False

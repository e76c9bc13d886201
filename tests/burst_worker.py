"""Drain the queues through RQ's SimpleWorker, minus the command channel tests never use.

The stock worker's pubsub thread often takes 60 seconds to stop after a burst (rq/rq#1613):
a test that runs dozens of bursts, as one simulating hours of sweeps does, would take an hour.
"""

from flask import Flask
from rq import SimpleWorker

from matcher.queue import get_queue, get_redis


class BurstWorker(SimpleWorker):
    """SimpleWorker that never subscribes to RQ's shutdown and kill commands."""

    def subscribe(self) -> None:
        pass


def drain(app: Flask) -> None:
    """Run every queued job to completion in this process (conftest's `jobs` calls this)."""
    with app.app_context():
        queues = [get_queue(name) for name in app.config["QUEUE_NAMES"]]
        BurstWorker(queues, connection=get_redis()).work(burst=True)

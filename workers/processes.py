"""Long-running worker and cron loops that outlive Redis outages."""

import logging
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound, StopRequested

from matcher.queue import get_queue, get_redis
from workers.schedule import periodic_jobs

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30


def warm_up(app: Flask) -> None:
    """Load what every job needs once, in the parent, so each forked work-horse inherits it.

    RQ forks a fresh work-horse per job: anything imported, compiled or cached lazily would
    otherwise be redone in every job (mail templates alone cost tens of milliseconds).
    """
    import smtplib  # noqa: F401
    from email.message import EmailMessage  # noqa: F401

    import workers.lifecycle  # noqa: F401
    import workers.mail  # noqa: F401
    import workers.matching  # noqa: F401
    import workers.outbox  # noqa: F401
    import workers.providers  # noqa: F401
    from matcher import reference

    reference.iaf_sectors()
    reference.countries()
    with app.app_context():
        for name in app.jinja_env.list_templates():
            if name.startswith(("email/", "provider/_brief")):
                app.jinja_env.get_template(name)
    # The parent keeps no database connection for its children to share by accident.
    app.extensions["certmatch.engine"].dispose()


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """Work the app's queues; when Redis drops, wait and reconnect instead of dying."""
    warm_up(app)
    backoff = 1.0
    while True:
        try:
            queues = [get_queue(name) for name in app.config["QUEUE_NAMES"]]
            worker = Worker(queues, connection=get_redis())
            worker.work(burst=burst, logging_level="INFO")
            return
        except (RedisError, OSError) as exc:
            if burst:
                raise
            log.warning("worker lost Redis (%s); retrying in %.0fs", type(exc).__name__, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


class _CronScheduler(CronScheduler):
    """RQ's CronScheduler that remembers a stop request, whatever start() raises after it."""

    stop_requested = False

    def _request_stop(self, signum, frame):
        self.stop_requested = True
        super()._request_stop(signum, frame)


def run_cron(app: Flask) -> None:
    """Run RQ's CronScheduler; RQ 3's scheduler exits when Redis drops, so restart it."""
    backoff = 1.0
    while True:
        scheduler = _CronScheduler(connection=get_redis())
        for func, options in periodic_jobs(app):
            scheduler.register(func, queue_name="default", **options)
        try:
            scheduler.start()
        # A restarted Redis has forgotten the scheduler's registration: SchedulerNotFound.
        except (RedisError, OSError, SchedulerNotFound) as exc:
            if scheduler.stop_requested:
                return
            log.warning("cron lost Redis (%s); restarting in %.0fs", type(exc).__name__, backoff)
        except (KeyboardInterrupt, StopRequested):
            return
        else:
            return  # start() returns normally only after SIGINT/SIGTERM
        if scheduler.stop_requested:
            return
        try:
            time.sleep(backoff)
        except (KeyboardInterrupt, StopRequested):
            return
        if scheduler.stop_requested:
            return
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

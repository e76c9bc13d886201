"""Long-running worker and cron loops that outlive Redis outages."""

import contextlib
import logging
import time

from flask import Flask
from redis.exceptions import LockError, RedisError
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound, StopRequested
from rq.utils import now

from matcher.queue import get_queue, get_redis
from workers.schedule import periodic_jobs

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30
# A worker that dies mid-job leaves the job `started`. RQ sees it abandoned once the job's
# heartbeat lapses (this interval + 60 s after the last beat) and its clean-up, run this often
# instead of every 10 minutes, moves it to `failed`; the outbox sweeper then queues it again.
WORKER_HEARTBEAT_SECONDS = 10
WORKER_MAINTENANCE_SECONDS = 30

# Only the cron process holding this Redis lock enqueues periodic jobs; any other is a standby.
CRON_LOCK_KEY = "certmatch:cron:leader"
# The leader renews the lock every wake; a standby takes over once a dead leader's lock lapses.
CRON_WAKE_SECONDS = 5
CRON_LOCK_SECONDS = 20


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
    from matcher.iso import reference

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
            worker = Worker(
                queues,
                connection=get_redis(),
                job_monitoring_interval=WORKER_HEARTBEAT_SECONDS,
                maintenance_interval=WORKER_MAINTENANCE_SECONDS,
            )
            worker.work(burst=burst, logging_level="INFO")
            return
        except (RedisError, OSError) as exc:
            if burst:
                raise
            log.warning("worker lost Redis (%s); retrying in %.0fs", type(exc).__name__, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


class _CronScheduler(CronScheduler):
    """RQ's CronScheduler that enqueues only while it leads, and remembers a stop request.

    RQ 3's scheduler has no lock: two `certmatch cron` processes would enqueue every job
    twice. The jobs are safe to run twice, yet a standby only keeps time until it leads.
    """

    stop_requested = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = self.connection.lock(
            CRON_LOCK_KEY, timeout=CRON_LOCK_SECONDS, thread_local=False
        )

    def leads(self) -> bool:
        """Renew this scheduler's lock, or take it if it is free; tell whether it leads."""
        if self.lock.local.token is not None:
            try:
                return self.lock.reacquire()
            except LockError:
                # Lapsed (a long pause, a restarted Redis): perhaps another took it.
                self.lock.local.token = None
                log.warning("cron %s lost the lead", self.name)
        # The scheduler's name (host:pid:id) as the value: `GET` tells who leads.
        if self.lock.acquire(blocking=False, token=self.name):
            log.info("cron %s leads", self.name)
            return True
        return False

    def enqueue_jobs(self):
        if self.leads():
            return super().enqueue_jobs()
        # A standby keeps the schedule's time without enqueueing: taking over later, it
        # neither repeats today's daily jobs nor runs every interval job at once.
        moment = now()
        for job in self.get_jobs():
            if job.should_run():
                job.set_enqueue_time(moment)
        return []

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), CRON_WAKE_SECONDS)

    def register_death(self, pipeline=None) -> None:
        # Hand over at once on a clean stop rather than after the lock lapses.
        if self.lock.local.token is not None:
            with contextlib.suppress(LockError, RedisError, OSError):
                self.lock.release()
        super().register_death(pipeline)

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

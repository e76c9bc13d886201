"""The periodic jobs `certmatch cron` puts on the queues."""

from collections.abc import Callable

from flask import Flask

from workers import lifecycle, retention
from workers.outbox import sweep_outbox
from workers.providers import DAILY_AT, check_accreditation_expiry


def periodic_jobs(app: Flask) -> list[tuple[Callable, dict]]:
    """Return (job function, CronScheduler.register options) for every periodic job."""
    lifecycle_interval = app.config["LIFECYCLE_INTERVAL_SECONDS"]
    return [
        (sweep_outbox, {"interval": app.config["OUTBOX_SWEEP_INTERVAL_SECONDS"]}),
        (lifecycle.expire_offers, {"interval": lifecycle_interval}),
        (lifecycle.send_reminders, {"interval": lifecycle_interval}),
        (lifecycle.close_requests, {"interval": lifecycle_interval}),
        (check_accreditation_expiry, {"cron": DAILY_AT}),
        (retention.purge_personal_data, {"cron": retention.DAILY_AT}),
    ]

"""The daily purge of business personal data past retention (matcher/businesses/retention.py)."""

import logging
from datetime import datetime

from matcher.businesses import retention
from matcher.db import transaction
from workers.lifecycle import _now
from workers.runtime import with_app_context

log = logging.getLogger(__name__)

DAILY_AT = "45 4 * * *"  # 04:45 UTC, a quiet hour, before the accreditation check


@with_app_context
def purge_personal_data(now: datetime | str | None = None) -> dict[str, int]:
    """Purge every request past retention, each in its own transaction; return the counts.

    Batches are read by id, so a request that cannot be purged today is stepped over, not
    read again in a loop; the next day's run tries it again. Logs hold counts and ids only.
    """
    moment = _now(now)
    counts = {"purged": 0, "skipped": 0, "failed": 0}
    after_id = 0
    while True:
        with transaction() as session:
            due = retention.requests_due_purge(session, now=moment, after_id=after_id)
        for request_id in due:
            counts[_purge_one(request_id, moment)] += 1
        if len(due) < retention.BATCH_SIZE:
            break
        after_id = due[-1]
    log.info(
        "retention: %(purged)d requests purged, %(skipped)d skipped, %(failed)d failed", counts
    )
    return counts


def _purge_one(request_id: int, moment: datetime) -> str:
    # One broken request must not hold back every purge after it, day after day. The error's
    # text may quote the row's values, so only its type is logged.
    try:
        with transaction() as session:
            done = retention.purge_request(session, request_id, now=moment)
    except Exception as exc:
        log.warning("retention: request %d not purged: %s", request_id, type(exc).__name__)
        return "failed"
    return "purged" if done else "skipped"

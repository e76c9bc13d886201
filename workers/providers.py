"""Daily provider jobs: suspend expired accreditations, warn 30 days ahead."""

from matcher.db import transaction
from matcher.models import utcnow
from matcher.providers.accreditation import warn_expiring
from matcher.vetting.expiry import suspend_expired
from workers.runtime import with_app_context

DAILY_AT = "15 5 * * *"  # 05:15 UTC, before the working day in Europe


@with_app_context
def check_accreditation_expiry() -> dict[str, int]:
    """Suspend providers whose accreditation expired and warn those close to it; idempotent."""
    today = utcnow().date()
    with transaction() as session:
        suspended = suspend_expired(session, today=today)
        warned = warn_expiring(session, today=today)
    return {"suspended": len(suspended), "warned": len(warned)}

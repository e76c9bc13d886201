"""The matching job: offer a confirmed request to up to three fitting providers."""

from workers.runtime import with_app_context


@with_app_context
def match_request(request_id: int) -> None:
    """Match request `request_id` (implemented with the matching engine, issue 4)."""
    # Issue 4 replaces this body; until then a confirmed request simply waits, matched by nobody.
    return None

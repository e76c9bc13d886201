"""The matching job: offer a confirmed request to up to three fitting providers."""

from matcher import offers
from matcher.db import transaction
from workers.runtime import with_app_context


@with_app_context
def match_request(request_id: int) -> list[int]:
    """Match request `request_id` once; return the ids of the offers this run made.

    Running it again, or in two workers at once, offers nothing twice: the run locks the
    request and a matched request is left alone.
    """
    with transaction() as session:
        outcome = offers.match_request(session, request_id)
        return [offer.id for offer in outcome.offers]

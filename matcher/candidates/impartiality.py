"""Which certification bodies the business's own consultants keep out, and why, in plain words.

The matcher keeps out every CB with an affiliation in force with the business's current
consultant or one it used in the last two years (`matching.filters.conflicts`); the admin's
page of a request says which CBs those are and why, as the affiliations stand now.
"""

from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from matcher.models import Affiliation, Provider, ProviderKind, QuoteRequest

CURRENT = "the business's current consultant"
OF_TWO_YEARS = "the business's consultant in the last two years"


@dataclass(frozen=True)
class KeptOut:
    """A CB never offered the request, and the consultant it is affiliated with."""

    provider_id: int
    name: str
    reason: str


def kept_out_by_consultants(session: Session, quote_request: QuoteRequest) -> list[KeptOut]:
    """The CBs affiliated with the business's registered consultants, each with its reason."""
    roles = dict.fromkeys(quote_request.previous_consultant_ids, OF_TWO_YEARS)
    if quote_request.current_consultant_id is not None:
        roles[quote_request.current_consultant_id] = CURRENT
    if not roles:
        return []
    consultant, body = aliased(Provider, name="consultant"), aliased(Provider, name="body")
    declared = col(Affiliation.provider_id)
    named = col(Affiliation.affiliated_provider_id)
    rows = session.exec(
        select(body.id, body.name, consultant.id, consultant.name)
        .select_from(Affiliation)
        .join(consultant, or_(consultant.id == declared, consultant.id == named))
        .join(
            body,
            and_(
                or_(body.id == declared, body.id == named),
                body.id != consultant.id,
                body.kind == ProviderKind.CERTIFICATION_BODY,
            ),
        )
        .where(col(consultant.id).in_(list(roles)))
        # A declaration nobody confirmed keeps no one out (see Affiliation).
        .where(col(Affiliation.confirmed_at).is_not(None))
        .order_by(body.name, body.id, consultant.name)
    ).all()
    return [
        KeptOut(body_id, body_name, f"affiliated with {name}, {roles[consultant_id]}")
        for body_id, body_name, consultant_id, name in rows
    ]

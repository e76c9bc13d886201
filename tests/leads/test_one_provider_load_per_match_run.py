"""A match run reads its chosen providers once, however many places use them."""

import re
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from matcher.db import get_engine
from matcher.models import LeadOffer, OfferStatus, OutboxMessage
from tests.market import confirmed_request, fresh, make_cb
from workers.matching import match_request, rematch_request

# The provider table itself, not provider_country, lead_offer.provider_id and the like.
PROVIDER_TABLE = re.compile(r"\bprovider\b", re.IGNORECASE)
# What one run sends to the provider table: the offer history (joined for the kinds), the
# candidates, the row-lock re-check, the bulk UPDATE of last_offered_at with the match-key sync
# around it (the ids it touches, the key UPDATE; PostgreSQL also locks the rows it copies
# from), the filter counts, and the one load of the providers the run names.
STATEMENTS_PER_RUN = {"sqlite": 8, "postgresql": 9}


@contextmanager
def provider_statements():
    """Record every statement the app's engine sends that touches the provider table."""
    engine = get_engine()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if PROVIDER_TABLE.search(statement):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _expected(statements: list[str]) -> tuple[int, str]:
    listing = "\n".join(s[:160] for s in statements)
    return STATEMENTS_PER_RUN[get_engine().dialect.name], listing


def _mails(db, template: str) -> list[OutboxMessage]:
    fresh(db)
    return db.exec(select(OutboxMessage).where(OutboxMessage.template == template)).all()


def test_a_first_match_run_reads_the_providers_it_offers_to_once(db):
    for number in range(5):
        make_cb(db, name=f"Audit House {number}")
    request_id = confirmed_request(db).id

    with provider_statements() as statements:
        offered = match_request(request_id)

    assert len(offered) == 3
    # Every user of the providers had them: the indicative quotes, the business's mail listing
    # them, one lead mail each and the admin's explanation.
    assert len(_mails(db, "lead_offer")) == 3
    (matched,) = _mails(db, "request_matched")
    assert matched.body_text.count("Audit House") == 3
    expected, listing = _expected(statements)
    assert len(statements) == expected, listing


def test_a_rematch_run_reads_the_provider_it_invites_once(db):
    for number in range(5):
        make_cb(db, name=f"Audit House {number}")
    request_id = confirmed_request(db).id
    match_request(request_id)
    fresh(db)
    declined = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).first()
    declined.status = OfferStatus.DECLINED
    db.add(declined)
    db.commit()

    with provider_statements() as statements:
        invited = rematch_request(request_id, "decline")

    assert len(invited) == 1
    (rematched,) = _mails(db, "request_rematched")
    assert "Audit House" in rematched.body_text
    expected, listing = _expected(statements)
    assert len(statements) == expected, listing

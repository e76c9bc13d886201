"""Shared set-ups for the tests of races between a suspension and the deal."""

from datetime import date, timedelta

import pytest
from sqlmodel import select, update

from matcher.db import transaction
from matcher.models import (
    AccreditationBody,
    OutboxJob,
    Provider,
    utcnow,
)
from matcher.quotes import answers
from matcher.quotes.errors import ProviderGone
from tests.lead_helpers import (
    act,
    cb_figures,
)

YESTERDAY = date.today() - timedelta(days=1)


def only_on_postgresql(app) -> None:
    """Skip on SQLite, where the race cannot happen."""
    if app.extensions["certmatch.engine"].dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE already runs one writer at a time")


def suspend_body_only(db, body_id: int) -> None:
    """The body stops counting but its CBs keep their leads: a lead written "late"."""
    db.rollback()
    db.exec(update(AccreditationBody).where(AccreditationBody.id == body_id).values(suspended=True))
    db.commit()


def set_status_only(db, provider_id: int, status: str) -> None:
    """Change the status behind the app's back: nothing else follows it."""
    db.rollback()
    db.exec(update(Provider).where(Provider.id == provider_id).values(status=status))
    db.commit()


def rematch_jobs(db, request_id: int) -> list[str]:
    """The dedupe keys of the re-match jobs queued for a request."""
    db.rollback()
    rows = db.exec(select(OutboxJob.dedupe_key).where(OutboxJob.func == "rematch_request")).all()
    return [key for key in rows if key.startswith(f"rematch:{request_id}:")]


def refused_as_a_view_is(app, func, **kwargs) -> ProviderGone:
    """Run a transition refused with ProviderGone and commit what it kept, as the views do."""
    with app.app_context(), transaction() as session, pytest.raises(ProviderGone) as refused:
        func(session, **kwargs)
    return refused.value


def send_firm_quote(app, offer):
    """The provider confirms its quote as firm (the CB figures of tests.lead_helpers)."""
    return act(
        app,
        answers.submit_quote,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        figures=cb_figures(),
        now=utcnow(),
    )

"""A provider answering a lead CertMatch took back from it is told why, not "it is closed"."""

import pytest
from sqlmodel import select

from matcher.models import LeadOffer, OfferStatus, Provider, Quote, QuoteStatus, utcnow
from matcher.providers.accreditation import find_body
from matcher.quotes import answers
from matcher.quotes.errors import QuoteError
from matcher.vetting.body_recognition import set_body_suspended
from matcher.vetting.decisions import decide
from tests.auth_helpers import csrf_token
from tests.lead_helpers import act, cb_figures, cbs, form_data, fresh, login_as, matched_request

SUSPENDED = "This lead was withdrawn from you when your profile was suspended"
NOT_RECOGNISED = (
    "This lead was withdrawn from you when your accreditation body stopped being recognised"
)
CLOSED = "This request is closed"


def _decide(session, *, provider_id: int, action: str) -> None:
    provider = session.get(Provider, provider_id)
    decide(session, provider, action=action, reason="Complaint checked.", actor_id=None)


def _stop_recognising_ukas(app, db) -> None:
    body_id = find_body(db, "UKAS").id
    db.rollback()
    act(app, set_body_suspended, body_id=body_id, suspended=True, actor_id=None, now=utcnow())


def _firm_quotes(db) -> list:
    db.rollback()
    return list(db.exec(select(Quote.id).where(Quote.status == QuoteStatus.FIRM)))


def test_a_reinstated_cb_posting_a_quote_form_opened_before_its_suspension_is_told_why(
    app, client, db
):
    providers = cbs(db, 2)
    _, (offer, _) = matched_request(db, providers)
    provider_id, offer_id = providers[0].id, offer.id
    login_as(client, db, providers[0])
    lead = f"/provider/leads/{offer_id}"
    token = csrf_token(client, lead)  # the quote form, open in the provider's browser

    act(app, _decide, provider_id=provider_id, action="suspend")
    act(app, _decide, provider_id=provider_id, action="reinstate")
    response = client.post(f"{lead}/quote", data={**form_data(cb_figures()), "csrf_token": token})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert SUSPENDED in page and "does not come back on reinstatement" in page
    assert CLOSED not in page
    assert fresh(db, LeadOffer, offer_id).status == OfferStatus.CANCELLED
    assert _firm_quotes(db) == []


def test_a_cb_declining_a_lead_taken_back_when_its_body_stopped_being_recognised_is_told_why(
    app, client, db
):
    providers = cbs(db, 2)
    _, (offer, _) = matched_request(db, providers)
    offer_id = offer.id
    login_as(client, db, providers[0])
    lead = f"/provider/leads/{offer_id}"
    token = csrf_token(client, lead)

    _stop_recognising_ukas(app, db)
    response = client.post(f"{lead}/decline", data={"reason": "other", "csrf_token": token})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert NOT_RECOGNISED in page and "if the body is recognised again" in page
    assert CLOSED not in page
    withdrawn = fresh(db, LeadOffer, offer_id)
    assert (withdrawn.status, withdrawn.decline_reason) == (OfferStatus.CANCELLED, None)


def _suspend(app, db, provider_id: int) -> None:
    db.rollback()
    act(app, _decide, provider_id=provider_id, action="suspend")


def _stop_recognising_its_body(app, db, provider_id: int) -> None:
    _stop_recognising_ukas(app, db)


@pytest.mark.parametrize(
    ("withdraw", "code", "message"),
    [
        (_suspend, "provider_suspended", SUSPENDED),
        (_stop_recognising_its_body, "body_not_recognised", NOT_RECOGNISED),
    ],
)
@pytest.mark.parametrize("action", [answers.submit_quote, answers.decline_offer])
def test_both_answers_to_a_withdrawn_lead_carry_why_it_was_withdrawn(
    app, db, action, withdraw, code, message
):
    providers = cbs(db, 1)
    _, (offer,) = matched_request(db, providers)
    offer_id, provider_id = offer.id, providers[0].id
    withdraw(app, db, provider_id)
    answer = {"figures": cb_figures()} if action is answers.submit_quote else {"reason": "other"}

    with pytest.raises(QuoteError) as refused:
        act(app, action, offer_id=offer_id, provider_id=provider_id, now=utcnow(), **answer)

    assert refused.value.code == code
    assert refused.value.message.startswith(message)
    assert fresh(db, LeadOffer, offer_id).status == OfferStatus.CANCELLED


def test_a_lead_cancelled_for_no_reason_of_the_providers_still_says_the_request_is_closed(app, db):
    providers = cbs(db, 1)
    _, (offer,) = matched_request(db, providers)
    offer_id, provider_id = offer.id, providers[0].id
    db.rollback()
    cancelled = db.get(LeadOffer, offer_id)
    cancelled.status = OfferStatus.CANCELLED
    db.add(cancelled)
    db.commit()

    with pytest.raises(QuoteError) as refused:
        act(
            app,
            answers.submit_quote,
            offer_id=offer_id,
            provider_id=provider_id,
            figures=cb_figures(),
            now=utcnow(),
        )

    assert refused.value.code == "closed"
    assert refused.value.message.startswith(CLOSED)

"""A body suspended by an admin frees its CBs' leads, as a provider suspension does."""

import pytest
from sqlmodel import select

from matcher.models import (
    AccreditationBody,
    LeadOffer,
    OfferStatus,
    OutboxJob,
    Provider,
    Quote,
    QuoteStatus,
    utcnow,
)
from matcher.quotes import answers, decisions
from matcher.quotes.errors import QuoteError
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.lead_helpers import act, cb_figures, fresh, login_as, mails
from tests.market import confirmed_request
from tests.provider_factories import make_provider
from workers.matching import match_request

BUSINESS = "ann@acme.example"


@pytest.fixture
def admin_client(app, db):
    admin = make_admin(db)
    client = app.test_client()
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def _set_body(client, acronym: str, *, suspended: bool):
    """Press the body's Suspend / Restore button on /admin/bodies."""
    token = csrf_token(client, "/admin/bodies")
    body_id = _body_id(client.application, acronym)
    response = client.post(
        f"/admin/bodies/{body_id}/status",
        data={"csrf_token": token, "suspended": "1" if suspended else "0"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _body_id(app, acronym: str) -> int:
    from matcher.db import transaction
    from matcher.providers.accreditation import find_body

    with app.app_context(), transaction() as session:
        return find_body(session, acronym).id


def _market(db):
    """Two UKAS and two ANAB CBs, a request matched to three of them; (request, cbs, offers)."""
    cbs = {
        "ukas": [make_provider(db, name=f"UKAS Certifier {n}") for n in (1, 2)],
        "anab": [
            make_provider(db, name=f"ANAB Certifier {n}", accreditation_body="ANAB") for n in (1, 2)
        ],
    }
    quote_request = confirmed_request(db)
    match_request(quote_request.id)
    return quote_request, cbs, _offers(db, quote_request.id)


def _offers(db, request_id: int) -> dict[int, LeadOffer]:
    db.rollback()
    rows = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()
    return {offer.provider_id: offer for offer in rows}


def _quote_of(db, offer_id: int) -> Quote | None:
    db.rollback()
    return db.exec(select(Quote).where(Quote.offer_id == offer_id)).first()


def test_suspending_a_body_frees_its_cbs_leads_and_tells_each_cb_once(app, admin_client, db, jobs):
    quote_request, cbs, offered = _market(db)
    ukas_ids = {cb.id for cb in cbs["ukas"]}
    held = [offer for pid, offer in offered.items() if pid in ukas_ids]
    assert held, "the market must give a UKAS CB a lead"
    firm_offer, *others = held
    firm = act(
        app,
        answers.submit_quote,
        offer_id=firm_offer.id,
        provider_id=firm_offer.provider_id,
        figures=cb_figures(),
        now=utcnow(),
    )

    _set_body(admin_client, "UKAS", suspended=True)

    # In the admin's own transaction: leads cancelled, quotes withdrawn, re-match queued.
    for offer in held:
        withdrawn = fresh(db, LeadOffer, offer.id)
        assert withdrawn.status == OfferStatus.CANCELLED
        assert withdrawn.cancelled_because == "body_not_recognised"
    assert fresh(db, Quote, firm.id).status == QuoteStatus.WITHDRAWN
    for offer in others:
        assert _quote_of(db, offer.id).status == QuoteStatus.WITHDRAWN
    (job,) = db.exec(select(OutboxJob).where(OutboxJob.func == "rematch_request")).all()
    assert job.args[:2] == [quote_request.id, "suspension"]
    (told,) = mails(db, "quote_withdrawn")
    assert told.to_email == BUSINESS and "can no longer be accepted" in told.body_text
    # Why is between CertMatch and the CB: the business hears only "no longer available".
    assert "accreditation" not in told.body_text.lower() and "suspen" not in told.body_text
    with pytest.raises(QuoteError) as refused:
        act(
            app, decisions.accept_quote, request_id=quote_request.id, quote_id=firm.id, now=utcnow()
        )
    assert refused.value.code == "withdrawn_quote"
    # Every verified UKAS CB hears it once, lead or not; the CBs stay verified.
    body_mails = mails(db, "provider_body_suspended")
    assert sorted(m.provider_id for m in body_mails) == sorted(ukas_ids)
    for mail in body_mails:
        assert "UKAS" in mail.subject
        assert "Your own profile is not suspended" in mail.body_text
        count = sum(1 for offer in held if offer.provider_id == mail.provider_id)
        assert ("open lead" in mail.body_text) == (count > 0)
    assert {fresh(db, Provider, pid).status for pid in ukas_ids} == {"verified"}

    jobs()

    now_open = {pid for pid, o in _offers(db, quote_request.id).items() if o.status == "offered"}
    assert now_open and not now_open & ukas_ids
    assert {cb.id for cb in cbs["anab"]} <= set(_offers(db, quote_request.id))


def test_restoring_the_body_makes_its_cbs_eligible_again_but_gives_no_lead_back(
    app, admin_client, client, db, jobs
):
    quote_request, cbs, offered = _market(db)
    ukas_id, held = next(
        (pid, o) for pid, o in offered.items() if pid in {c.id for c in cbs["ukas"]}
    )
    _set_body(admin_client, "UKAS", suspended=True)
    jobs()

    _set_body(admin_client, "UKAS", suspended=False)

    assert len(mails(db, "provider_body_restored")) == 2
    assert fresh(db, LeadOffer, held.id).status == OfferStatus.CANCELLED
    later = confirmed_request(db, company_name="Later Ltd")
    match_request(later.id)
    assert ukas_id in _offers(db, later.id)
    # The CB's lead page says what happened to the withdrawn lead.
    login_as(client, db, fresh(db, Provider, ukas_id))
    page = client.get(f"/provider/leads/{held.id}").get_data(as_text=True)
    assert "Withdrawn from you when your accreditation body stopped being recognised" in page
    assert "The request was withdrawn or closed" not in page


def test_suspending_a_body_no_cb_holds_a_lead_of_moves_nothing_but_the_mails(admin_client, db):
    quote_request, cbs, offered = _market(db)
    before = {pid: o.status for pid, o in offered.items()}

    _set_body(admin_client, "DAkkS", suspended=True)
    _set_body(admin_client, "DAkkS", suspended=True)  # a second press changes nothing

    assert {pid: o.status for pid, o in _offers(db, quote_request.id).items()} == before
    assert db.exec(select(OutboxJob).where(OutboxJob.func == "rematch_request")).all() == []
    assert mails(db, "provider_body_suspended") == []
    db.rollback()
    body = db.exec(select(AccreditationBody).where(AccreditationBody.acronym == "DAkkS")).one()
    assert body.suspended

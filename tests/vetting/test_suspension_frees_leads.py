"""Suspending a provider frees the leads it holds: cancelled, withdrawn, re-matched, unnamed why."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from matcher.leads import offers
from matcher.models import (
    LeadOffer,
    OfferStatus,
    OutboxJob,
    OutboxStatus,
    Provider,
    Quote,
    QuoteStatus,
    utcnow,
)
from matcher.quotes import answers, decisions
from matcher.quotes.errors import QuoteError
from matcher.vetting import decisions as provider_decisions
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.lead_helpers import (
    act,
    at_the_same_moment,
    cb_figures,
    cbs,
    fresh,
    mails,
    matched_request,
    request_path,
)
from tests.market import confirmed_request
from tests.provider_factories import make_provider
from workers.matching import match_request, rematch_request
from workers.outbox import run_outbox_job
from workers.providers import check_accreditation_expiry

REASON = "Forged UKAS certificate reported by the accreditation body."
BUSINESS = "ann@acme.example"


@pytest.fixture
def admin_client(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def _suspend_by_admin(client, provider_id: int, reason: str = REASON):
    page = f"/admin/providers/{provider_id}"
    token = csrf_token(client, page)
    response = client.post(
        f"{page}/decision", data={"csrf_token": token, "action": "suspend", "reason": reason}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _matched_market(db, count: int):
    """`count` fitting CBs and a request matched to three of them; (request, offered, spare)."""
    cbs = [make_provider(db, name=f"Certifier {n} Ltd") for n in range(1, count + 1)]
    quote_request = confirmed_request(db)
    match_request(quote_request.id)
    offered = {o.provider_id: o for o in _offers(db, quote_request.id)}
    spare = [p for p in cbs if p.id not in offered]
    return quote_request, offered, spare


def _offers(db, request_id: int) -> list[LeadOffer]:
    db.rollback()
    query = select(LeadOffer).where(LeadOffer.request_id == request_id).order_by(LeadOffer.id)
    return list(db.exec(query).all())


def _quote_of(db, offer_id: int) -> Quote | None:
    db.rollback()
    return db.exec(select(Quote).where(Quote.offer_id == offer_id)).first()


def _business_mail_texts(db) -> str:
    return "\n".join(
        f"{m.subject}\n{m.body_text}\n{m.body_html or ''}"
        for m in mails(db)
        if m.to_email == BUSINESS
    )


def test_an_admin_suspension_cancels_the_leads_and_a_replacement_is_invited(
    app, admin_client, client, db, jobs, smtp_sink
):
    quote_request, offered, (spare,) = _matched_market(db, 4)
    suspended_id = next(iter(offered))
    held = offered[suspended_id]
    indicative = _quote_of(db, held.id)
    assert indicative is not None and indicative.status == QuoteStatus.INDICATIVE
    page = request_path(app, quote_request)
    assert f'id="quote-{indicative.id}"' in client.get(page).get_data(as_text=True)

    _suspend_by_admin(admin_client, suspended_id)

    # In the admin's own transaction: the lead is cancelled and the re-match is queued.
    assert fresh(db, LeadOffer, held.id).status == OfferStatus.CANCELLED
    assert fresh(db, Quote, indicative.id).status == QuoteStatus.WITHDRAWN
    (job,) = db.exec(select(OutboxJob).where(OutboxJob.func == "rematch_request")).all()
    assert job.args[:2] == [quote_request.id, "suspension"]
    html = client.get(page).get_data(as_text=True)
    assert f'id="quote-{indicative.id}"' not in html
    assert "no longer available on CertMatch" in html

    jobs()

    now_open = {o.provider_id for o in _offers(db, quote_request.id) if o.status == "offered"}
    assert now_open == (set(offered) - {suspended_id}) | {spare.id}
    (rematched,) = mails(db, "request_rematched")
    assert rematched.to_email == BUSINESS
    assert "a provider you were waiting for is no longer available" in rematched.body_text
    assert spare.name in rematched.body_text
    business = _business_mail_texts(db)
    assert REASON not in business and "suspen" not in business.lower()
    (lead,) = [m for m in mails(db, "lead_offer") if m.provider_id == spare.id]
    delivered = smtp_sink.wait_for(len(mails(db)))
    assert {m["To"] for m in delivered} >= {BUSINESS, spare.email, lead.to_email}
    (to_provider,) = mails(db, "provider_suspend")
    assert "The 1 open lead you held has been withdrawn" in to_provider.body_text


def test_a_firm_quote_not_yet_decided_is_withdrawn_and_the_business_told_without_the_reason(
    app, client, db, jobs
):
    quote_request, offered, _ = _matched_market(db, 4)
    suspended_id, held = next(iter(offered.items()))
    firm = act(
        app,
        answers.submit_quote,
        offer_id=held.id,
        provider_id=suspended_id,
        figures=cb_figures(),
        now=utcnow(),
    )

    _decide(app, suspended_id, "suspend", REASON)

    assert fresh(db, LeadOffer, held.id).status == OfferStatus.CANCELLED
    assert fresh(db, Quote, firm.id).status == QuoteStatus.WITHDRAWN
    (told,) = mails(db, "quote_withdrawn")
    assert told.to_email == BUSINESS
    assert "is no longer available on CertMatch" in told.body_text
    assert "can no longer be accepted" in told.body_text
    assert REASON not in told.body_text + (told.body_html or "")
    # A stale page cannot accept it: it would hand the business's details to the provider.
    with pytest.raises(QuoteError) as refused:
        act(
            app, decisions.accept_quote, request_id=quote_request.id, quote_id=firm.id, now=utcnow()
        )
    assert refused.value.code == "withdrawn_quote"
    html = client.get(request_path(app, quote_request)).get_data(as_text=True)
    assert f'id="quote-{firm.id}"' not in html
    # It quoted before it was suspended: the withdrawn lead still counts as answered.
    record = fresh(db, Provider, suspended_id)
    assert (record.offers_received, record.offers_answered) == (1, 1)
    jobs()
    assert len([o for o in _offers(db, quote_request.id) if o.status == "offered"]) == 3


def test_the_accreditation_expiry_job_frees_the_leads_the_same_way(db, jobs):
    quote_request, offered, (spare,) = _matched_market(db, 4)
    expiring_id, held = next(iter(offered.items()))
    db.rollback()
    lapsed = db.get(Provider, expiring_id)
    lapsed.accreditation_expires_on = date.today() - timedelta(days=1)
    db.add(lapsed)
    db.commit()

    assert check_accreditation_expiry()["suspended"] == 1

    assert fresh(db, LeadOffer, held.id).status == OfferStatus.CANCELLED
    assert fresh(db, Quote, _quote_of(db, held.id).id).status == QuoteStatus.WITHDRAWN
    jobs()
    now_open = {o.provider_id for o in _offers(db, quote_request.id) if o.status == "offered"}
    assert now_open == (set(offered) - {expiring_id}) | {spare.id}
    (rematched,) = mails(db, "request_rematched")
    assert "is no longer available" in rematched.body_text
    business = _business_mail_texts(db)
    assert "accreditation" not in business.lower() and "expired" not in business.lower()
    (to_provider,) = mails(db, "provider_accreditation_expired")
    assert "The 1 open lead you held has been withdrawn" in to_provider.body_text


def test_a_provider_holding_no_open_lead_is_suspended_and_nothing_else_moves(app, db):
    quote_request, offered, (idle,) = _matched_market(db, 4)
    before = {o.id: o.status for o in _offers(db, quote_request.id)}

    _decide(app, idle.id, "suspend", REASON)

    assert {o.id: o.status for o in _offers(db, quote_request.id)} == before
    assert db.exec(select(OutboxJob).where(OutboxJob.func == "rematch_request")).all() == []
    assert mails(db, "quote_withdrawn") == [] and mails(db, "request_rematched") == []
    (to_provider,) = mails(db, "provider_suspend")
    assert "open lead" not in to_provider.body_text


def test_running_the_rematch_job_twice_invites_once(app, db):
    quote_request, offered, _ = _matched_market(db, 5)  # two could replace it
    suspended_id = next(iter(offered))
    _decide(app, suspended_id, "suspend", REASON)
    db.rollback()
    (job,) = db.exec(select(OutboxJob).where(OutboxJob.func == "rematch_request")).all()

    assert run_outbox_job(job.id) == "done"
    assert run_outbox_job(job.id) == "skipped"
    assert rematch_request(quote_request.id, "suspension") == []  # the job body itself, again

    assert fresh(db, OutboxJob, job.id).status == OutboxStatus.DONE
    assert len(_offers(db, quote_request.id)) == 4
    assert len(mails(db, "request_rematched")) == 1
    assert len([m for m in mails(db, "lead_offer")]) == 4


def test_cancelled_leads_do_not_count_against_the_response_rate(app, db):
    provider = make_provider(db, name="Answers Everything Ltd")
    answered_request = confirmed_request(db)
    match_request(answered_request.id)
    (first,) = _offers(db, answered_request.id)
    act(
        app,
        answers.decline_offer,
        offer_id=first.id,
        provider_id=provider.id,
        reason="no_capacity",
        now=utcnow(),
    )
    open_request = confirmed_request(db, company_name="Second Ltd")
    match_request(open_request.id)
    assert _offers(db, open_request.id)[0].status == OfferStatus.OFFERED
    record = fresh(db, Provider, provider.id)
    assert (record.offers_received, record.offers_answered) == (1, 1)

    _decide(app, provider.id, "suspend", REASON)

    assert _offers(db, open_request.id)[0].status == OfferStatus.CANCELLED
    record = fresh(db, Provider, provider.id)
    assert (record.offers_received, record.offers_answered) == (1, 1)


def test_reinstating_gives_nothing_back_and_the_request_is_never_offered_it_again(app, db, jobs):
    quote_request, offered, spare = _matched_market(db, 3)
    assert spare == []
    suspended_id, held = next(iter(offered.items()))
    _decide(app, suspended_id, "suspend", REASON)
    jobs()
    # No one else fits, two leads are still open: the business is not told "no one left".
    assert mails(db, "request_no_one_left") == []

    _decide(app, suspended_id, "reinstate", "Certificate checked with UKAS.")
    outcome = act(app, offers.rematch_request, request_id=quote_request.id, trigger="admin")

    assert outcome.offers == []
    assert fresh(db, LeadOffer, held.id).status == OfferStatus.CANCELLED
    assert _quote_of(db, held.id).status == QuoteStatus.WITHDRAWN
    assert len(_offers(db, quote_request.id)) == 3


def test_when_no_one_is_left_the_business_hears_the_provider_is_no_longer_available(app, db, jobs):
    only = make_provider(db, name="Lone Certifier Ltd")
    quote_request = confirmed_request(db)
    match_request(quote_request.id)

    _decide(app, only.id, "suspend", REASON)
    jobs()

    (mail,) = mails(db, "request_no_one_left")
    assert "they are no longer available" in mail.body_text
    assert REASON not in _business_mail_texts(db)
    assert _offers(db, quote_request.id)[0].status == OfferStatus.CANCELLED


def test_a_business_accepting_as_the_provider_is_suspended_gets_one_consistent_outcome(app, db):
    for _ in range(3):
        suspect, *others = cbs(db, 3)
        quote_request, (offer, *_) = matched_request(db, [suspect, *others])
        _, (elsewhere, *_) = matched_request(db, [suspect], company_name="Other Ltd")
        firm = act(
            app,
            answers.submit_quote,
            offer_id=offer.id,
            provider_id=suspect.id,
            figures=cb_figures(),
            now=utcnow(),
        )
        accept = (decisions.accept_quote, {"request_id": quote_request.id, "quote_id": firm.id})
        suspend = (_suspend, {"provider_id": suspect.id})

        accepted, _ = at_the_same_moment(app, [accept, suspend])

        quote_status = fresh(db, Quote, firm.id).status
        if isinstance(accepted, QuoteError):
            # The suspension came first: nothing to accept, and the business was told.
            assert accepted.code == "withdrawn_quote"
            assert quote_status == QuoteStatus.WITHDRAWN
            assert fresh(db, LeadOffer, offer.id).status == OfferStatus.CANCELLED
        else:
            # The business came first: the deal stands, and only the other lead is freed.
            assert quote_status == QuoteStatus.ACCEPTED
            assert fresh(db, LeadOffer, offer.id).status == OfferStatus.WON
        assert fresh(db, LeadOffer, elsewhere.id).status == OfferStatus.CANCELLED
        assert fresh(db, Provider, suspect.id).status == "suspended"


def _suspend(session, *, provider_id: int, now) -> None:
    provider = session.get(Provider, provider_id)
    provider_decisions.decide(session, provider, action="suspend", reason=REASON, actor_id=None)


def _decide(app, provider_id: int, action: str, reason: str = REASON) -> None:
    """An admin decision in its own committed transaction, as the admin page makes it."""
    from matcher.db import transaction

    with app.app_context(), transaction() as session:
        provider = session.get(Provider, provider_id)
        provider_decisions.decide(session, provider, action=action, reason=reason, actor_id=None)

"""No deal with a provider CertMatch stopped vouching for, and re-matches that run after commit."""

import contextlib
import itertools
import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select, update

from matcher.leads import offers
from matcher.models import (
    LeadOffer,
    OfferStatus,
    Provider,
    ProviderStatus,
    Quote,
    QuoteRequest,
    QuoteStatus,
    RequestStatus,
    utcnow,
)
from matcher.providers import track_record
from matcher.quotes import answers, decisions
from matcher.quotes.errors import ProviderGone
from matcher.vetting import body_recognition
from tests.lead_helpers import (
    act,
    cb_figures,
    form_data,
    fresh,
    login_as,
    mails,
    matched_request,
    offer_statuses,
    request_path,
)
from tests.market import confirmed_request, make_body, make_consultant
from tests.page_helpers import csrf_token
from tests.provider_factories import make_provider
from tests.suspension_races import (
    only_on_postgresql,
    refused_as_a_view_is,
    rematch_jobs,
    send_firm_quote,
    set_status_only,
    suspend_body_only,
)
from workers import lifecycle as cron

# ---------------------------------------------------------------- 1. no deal with an unvouched CB


def test_a_late_lead_of_a_cb_whose_body_was_suspended_cannot_be_quoted(app, db):
    body = make_body(db, "XAB")
    cb = make_provider(db, name="Late Certifier Ltd", accreditation_body="XAB")
    quote_request, (offer,) = matched_request(db, [cb])
    suspend_body_only(db, body.id)

    with pytest.raises(ProviderGone) as refused:
        send_firm_quote(app, offer)

    assert "accreditation body stopped being recognised" in refused.value.message
    assert refused.value.keeps_changes
    assert mails(db, "quote_firm") == []


def test_the_refused_quote_still_frees_the_lead_and_its_slot(app, client, db):
    body = make_body(db, "XAB")
    cb = make_provider(db, name="Late Certifier Ltd", accreditation_body="XAB")
    quote_request, (offer,) = matched_request(db, [cb])
    suspend_body_only(db, body.id)
    login_as(client, db, fresh(db, Provider, cb.id))

    token = csrf_token(client, f"/provider/leads/{offer.id}")
    response = client.post(
        f"/provider/leads/{offer.id}/quote", data={**form_data(cb_figures()), "csrf_token": token}
    )

    assert response.status_code == 409
    assert "stopped being recognised on CertMatch" in response.get_data(as_text=True)
    taken = fresh(db, LeadOffer, offer.id)
    assert (taken.status, taken.cancelled_because) == (OfferStatus.CANCELLED, "body_not_recognised")
    assert rematch_jobs(db, quote_request.id) == [
        f"rematch:{quote_request.id}:suspension:{offer.id}"
    ]
    assert mails(db, "quote_firm") == []


def test_the_business_cannot_accept_a_firm_quote_from_a_provider_suspended_since(app, client, db):
    cb = make_provider(db, name="Suspect Certifier Ltd")
    quote_request, (offer,) = matched_request(db, [cb])
    quote = send_firm_quote(app, offer)
    set_status_only(db, cb.id, ProviderStatus.SUSPENDED)
    path = request_path(app, quote_request)

    token = csrf_token(client, path)
    response = client.post(f"{path}/quotes/{quote.id}/accept", data={"csrf_token": token})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no longer available on CertMatch" in page
    assert mails(db, "request_accepted_provider") == []
    assert fresh(db, Quote, quote.id).status == QuoteStatus.WITHDRAWN
    taken = fresh(db, LeadOffer, offer.id)
    assert (taken.status, taken.cancelled_because) == (OfferStatus.CANCELLED, "provider_suspended")
    assert fresh(db, QuoteRequest, quote_request.id).status == RequestStatus.MATCHED
    assert [m.to_email for m in mails(db, "quote_withdrawn")] == ["ann@acme.example"]


def test_a_cb_whose_accreditation_lapsed_yesterday_cannot_be_accepted_either(app, db):
    cb = make_provider(db, name="Lapsed Certifier Ltd")
    quote_request, (offer,) = matched_request(db, [cb])
    quote = send_firm_quote(app, offer)
    db.rollback()
    db.exec(
        update(Provider)
        .where(Provider.id == cb.id)
        .values(accreditation_expires_on=date.today() - timedelta(days=1))
    )
    db.commit()

    with pytest.raises(ProviderGone, match="no longer available"):
        act(
            app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id,
            now=utcnow(),
        )  # fmt: skip

    assert mails(db, "request_accepted_provider") == []


def test_a_provider_still_vouched_for_is_accepted_as_before(app, db):
    cb = make_provider(db, name="Sound Certifier Ltd")
    quote_request, (offer,) = matched_request(db, [cb])
    quote = send_firm_quote(app, offer)
    accepted = act(
        app, decisions.accept_quote, request_id=quote_request.id, quote_id=quote.id, now=utcnow()
    )
    assert accepted.status == QuoteStatus.ACCEPTED
    assert len(mails(db, "request_accepted_provider")) == 1


def test_a_late_lead_racing_a_body_suspension_never_reaches_a_deal(app, db, jobs):
    only_on_postgresql(app)
    cbs = [make_provider(db, name=f"Certifier {n} Ltd") for n in range(1, 4)]  # all UKAS
    body_id = cbs[0].accreditation_body_id
    quote_request = confirmed_request(db)
    errors: list = []

    with app.app_context(), Session(app.extensions["certmatch.engine"]) as run:
        outcome = offers.match_request(run, quote_request.id)  # holds its providers' locks
        late = [(o.id, o.provider_id) for o in outcome.offers]

        def suspend_body():
            try:
                act(app, body_recognition.set_body_suspended, body_id=body_id, suspended=True,
                    actor_id=None, now=utcnow())  # fmt: skip
            except Exception as error:  # noqa: BLE001  checked below
                errors.append(error)

        thread = threading.Thread(target=suspend_body)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the body suspension must wait for the run's lock"
        run.commit()
    thread.join(30)
    assert errors == []
    offer_id, provider_id = late[0]
    assert fresh(db, LeadOffer, offer_id).status == OfferStatus.OFFERED  # the job has not run

    refused_as_a_view_is(
        app, answers.submit_quote, offer_id=offer_id, provider_id=provider_id,
        figures=cb_figures(), now=utcnow(),
    )  # fmt: skip

    taken = fresh(db, LeadOffer, offer_id)
    assert (taken.status, taken.cancelled_because) == (OfferStatus.CANCELLED, "body_not_recognised")
    jobs()
    assert {fresh(db, LeadOffer, oid).status for oid, _ in late} == {OfferStatus.CANCELLED}
    assert mails(db, "quote_firm") == []
    assert mails(db, "request_accepted_provider") == []


# ---------------------------------------------------------------- 2. re-matches run after commit


def _crossed_requests(db):
    """Two consultants, each holding the lead of one request; each fits the other's request."""
    one, two = (
        make_consultant(db, name="One Consulting"),
        make_consultant(db, name="Two Consulting"),
    )
    first, (first_offer,) = matched_request(db, [one], service="consultancy")
    second, (second_offer,) = matched_request(db, [two], service="consultancy")
    return (first.id, first_offer.id, one.id), (second.id, second_offer.id, two.id)


def test_two_declines_whose_rematches_pick_each_others_provider_both_go_through(
    app, db, jobs, monkeypatch
):
    only_on_postgresql(app)
    (first, first_offer, one), (second, second_offer, two) = _crossed_requests(db)
    # Both declines hold their own provider's row (its track record) before either goes on.
    barrier = threading.Barrier(2, timeout=5)
    real = track_record.refresh_response_record
    calls = itertools.count()

    def both_hold_their_provider(session, provider_id):
        real(session, provider_id)
        if next(calls) < 2:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    monkeypatch.setattr(track_record, "refresh_response_record", both_hold_their_provider)
    results: dict = {}

    def decline(offer_id, provider_id):
        try:
            act(app, answers.decline_offer, offer_id=offer_id, provider_id=provider_id,
                reason="no_capacity", now=utcnow())  # fmt: skip
            results[offer_id] = "ok"
        except Exception as error:  # noqa: BLE001  checked below
            results[offer_id] = f"{type(error).__name__}: {error}"

    threads = [
        threading.Thread(target=decline, args=(first_offer, one)),
        threading.Thread(target=decline, args=(second_offer, two)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {first_offer: "ok", second_offer: "ok"}

    jobs()
    assert offer_statuses(db, first) == {one: OfferStatus.DECLINED, two: OfferStatus.OFFERED}
    assert offer_statuses(db, second) == {two: OfferStatus.DECLINED, one: OfferStatus.OFFERED}


def test_a_decline_queues_its_rematch_instead_of_offering_in_its_own_transaction(app, db, jobs):
    (first, first_offer, one), (_, _, two) = _crossed_requests(db)
    act(app, answers.decline_offer, offer_id=first_offer, provider_id=one,
        reason="no_capacity", now=utcnow())  # fmt: skip

    assert offer_statuses(db, first) == {one: OfferStatus.DECLINED}
    assert rematch_jobs(db, first) == [f"rematch:{first}:decline:{first_offer}"]
    jobs()
    assert offer_statuses(db, first) == {one: OfferStatus.DECLINED, two: OfferStatus.OFFERED}


def test_an_expiry_queues_one_rematch_dated_at_the_expiry(app, db, jobs):
    (first, first_offer, one), (_, _, two) = _crossed_requests(db)
    later = utcnow() + timedelta(hours=49)
    assert cron.expire_offers(now=later) != []

    assert offer_statuses(db, first) == {one: OfferStatus.EXPIRED}
    assert rematch_jobs(db, first) == [f"rematch:{first}:expiry:{first_offer}"]
    jobs()
    db.rollback()
    replacement = db.exec(
        select(LeadOffer).where(LeadOffer.request_id == first, LeadOffer.provider_id == two)
    ).one()
    assert replacement.offered_at == later

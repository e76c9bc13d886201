"""A match run racing a suspension, and what the provider's lead page says afterwards."""

import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select, update

from matcher.leads import offers
from matcher.models import (
    AccreditationBody,
    LeadOffer,
    MatchRun,
    OfferStatus,
    OutboxJob,
    Provider,
    ProviderStatus,
    utcnow,
)
from matcher.providers.vouching import NO_LONGER_VOUCHED, lock_vouched
from matcher.vetting import decisions as provider_decisions
from tests.lead_helpers import act, fresh, login_as, mails
from tests.market import confirmed_request, make_consultant
from tests.provider_factories import make_provider
from workers.matching import match_request

REASON = "Certificates issued without audits."


def _cbs(db, count: int, **fields) -> list[Provider]:
    return [make_provider(db, name=f"Certifier {n} Ltd", **fields) for n in range(1, count + 1)]


def _offers(db, request_id: int) -> dict[int, LeadOffer]:
    db.rollback()
    rows = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()
    return {offer.provider_id: offer for offer in rows}


def _suspend(session, provider_id: int) -> None:
    provider = session.get(Provider, provider_id)
    provider_decisions.decide(session, provider, action="suspend", reason=REASON, actor_id=None)


def _on_postgresql(app) -> None:
    if app.extensions["certmatch.engine"].dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE already runs one writer at a time")


def _ranked_first(monkeypatch, then):
    """Make the next run call `then(session, chosen ids)` right after it ranked the market,
    as if another transaction had committed between the ranking and the lock."""
    real = offers.match_candidates

    def ranked(session, facts, history, now):
        ranking, selection = real(session, facts, history, now)
        then(session, [c.provider.id for c in selection.chosen])
        return ranking, selection

    monkeypatch.setattr(offers, "match_candidates", ranked)


# ---------------------------------------------------------------- the re-check itself


def test_a_provider_suspended_after_the_ranking_gets_no_lead_and_the_next_one_does(
    app, db, monkeypatch
):
    cbs = _cbs(db, 4)
    quote_request = confirmed_request(db)
    gone: list[int] = []

    def suspend_first(session, chosen):
        gone.append(chosen[0])
        session.exec(
            update(Provider).where(Provider.id == chosen[0]).values(status=ProviderStatus.SUSPENDED)
        )

    _ranked_first(monkeypatch, suspend_first)

    outcome = act(app, offers.match_request, request_id=quote_request.id)

    offered = _offers(db, quote_request.id)
    assert gone[0] not in offered
    assert set(offered) == {cb.id for cb in cbs} - set(gone)
    assert len(outcome.offers) == 3
    run = db.exec(select(MatchRun).where(MatchRun.request_id == quote_request.id)).one()
    (explained,) = [c for c in run.candidates if c["provider_id"] == gone[0]]
    assert explained["offered"] is False and explained["skipped"] == NO_LONGER_VOUCHED
    assert gone[0] not in run.offered_provider_ids
    assert fresh(db, Provider, gone[0]).last_offered_at is None


def test_a_body_suspended_after_the_ranking_drops_all_its_cbs_and_leaves_the_slot_open(
    app, db, monkeypatch
):
    ukas = _cbs(db, 2)
    anab = make_provider(db, name="ANAB Certifier", accreditation_body="ANAB")
    quote_request = confirmed_request(db)

    def suspend_ukas(session, chosen):
        session.exec(
            update(AccreditationBody)
            .where(AccreditationBody.acronym == "UKAS")
            .values(suspended=True)
        )

    _ranked_first(monkeypatch, suspend_ukas)

    act(app, offers.match_request, request_id=quote_request.id)

    # The ranking has no one else: the two slots wait for a later re-match.
    assert set(_offers(db, quote_request.id)) == {anab.id}
    assert not {cb.id for cb in ukas} & set(_offers(db, quote_request.id))


def test_lock_vouched_reads_status_body_and_expiry_as_they_are(app, db):
    fine = make_provider(db, name="Fine Ltd")
    lapsed = make_provider(
        db, name="Lapsed Ltd", accreditation_expires_on=date.today() - timedelta(days=1)
    )
    pending = make_provider(db, name="Pending Ltd", status=ProviderStatus.PENDING)
    unrecognised = make_provider(db, name="Far Ltd", accreditation_body="COFRAC")
    consultant = make_consultant(db, name="Adviser Ltd")
    db.exec(
        update(AccreditationBody)
        .where(AccreditationBody.acronym == "COFRAC")
        .values(recognised=False)
    )
    db.commit()
    ids = [fine.id, lapsed.id, pending.id, unrecognised.id, consultant.id]

    vouched = act(app, lock_vouched, provider_ids=ids, today=date.today())

    assert vouched == {fine.id, consultant.id}


# ---------------------------------------------------------------- two transactions at once


def test_a_run_waiting_on_a_suspensions_lock_offers_the_next_provider_instead(app, db):
    _on_postgresql(app)
    # Local to the business (Yorkshire): ranked first, so the run chooses it.
    suspect = make_provider(db, name="Local Certifier Ltd", region="Yorkshire")
    cbs = [suspect, *_cbs(db, 3)]
    quote_request = confirmed_request(db)
    results: dict = {}

    def run_match():
        try:
            results["offers"] = act(app, offers.match_request, request_id=quote_request.id)
        except Exception as error:  # noqa: BLE001  checked below
            results["error"] = error

    with app.app_context(), Session(app.extensions["certmatch.engine"]) as suspension:
        _suspend(suspension, suspect.id)  # holds the provider's row lock until it commits
        thread = threading.Thread(target=run_match)
        thread.start()
        time.sleep(0.5)
        # The run read the provider as verified; it now waits at the lock to write its leads.
        assert thread.is_alive(), ("the match run must wait for the suspension's lock", results)
        suspension.commit()
    thread.join(30)

    assert "error" not in results, results
    offered = _offers(db, quote_request.id)
    assert suspect.id not in offered
    assert set(offered) == {cb.id for cb in cbs[1:]}


def test_a_lead_written_just_before_the_suspension_locked_is_freed_by_a_follow_up_job(
    app, db, jobs
):
    _on_postgresql(app)
    cbs = _cbs(db, 4)
    quote_request = confirmed_request(db)
    errors: list = []

    with app.app_context(), Session(app.extensions["certmatch.engine"]) as run:
        outcome = offers.match_request(run, quote_request.id)  # holds its providers' locks
        suspect = outcome.offers[0].provider_id

        def suspend():
            try:
                act(app, _suspend, provider_id=suspect)
            except Exception as error:  # noqa: BLE001  checked below
                errors.append(error)

        thread = threading.Thread(target=suspend)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the suspension must wait for the run's lock"
        run.commit()
    thread.join(30)

    assert errors == []
    assert fresh(db, Provider, suspect).status == ProviderStatus.SUSPENDED
    # The lead was committed after the suspension looked: it holds it, for now.
    late = _offers(db, quote_request.id)[suspect]
    assert late.status == OfferStatus.OFFERED
    (release,) = db.exec(select(OutboxJob).where(OutboxJob.func == "release_leads")).all()
    assert release.args == [[suspect]]

    jobs()

    freed = fresh(db, LeadOffer, late.id)
    assert (freed.status, freed.cancelled_because) == (OfferStatus.CANCELLED, "provider_suspended")
    open_now = {pid for pid, o in _offers(db, quote_request.id).items() if o.status == "offered"}
    assert open_now == {cb.id for cb in cbs} - {suspect}
    assert len(mails(db, "request_rematched")) == 1


# ---------------------------------------------------------------- the lead page


def test_a_reinstated_provider_reads_that_the_lead_was_withdrawn_when_it_was_suspended(
    app, client, db
):
    cb = make_provider(db, name="Back Again Ltd")
    quote_request = confirmed_request(db)
    match_request(quote_request.id)
    (offer,) = _offers(db, quote_request.id).values()
    act(app, _suspend, provider_id=cb.id)
    act(app, _decide, provider_id=cb.id, action="reinstate")

    login_as(client, db, fresh(db, Provider, cb.id))
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)
    inbox = client.get("/provider/?tab=lost").get_data(as_text=True)

    assert "Withdrawn from you when your profile was suspended" in page
    assert "does not come back on reinstatement" in page
    assert "withdrawn or closed" not in page.lower()
    assert "Withdrawn from you when your profile was suspended" in inbox


def test_a_lead_the_business_withdrew_still_reads_withdrawn_or_closed(app, client, db):
    from matcher.quotes import decisions

    cb = make_provider(db, name="Still Here Ltd")
    quote_request = confirmed_request(db)
    match_request(quote_request.id)
    (offer,) = _offers(db, quote_request.id).values()
    act(app, decisions.withdraw_request, request_id=quote_request.id, now=utcnow())

    login_as(client, db, fresh(db, Provider, cb.id))
    page = client.get(f"/provider/leads/{offer.id}").get_data(as_text=True)

    assert fresh(db, LeadOffer, offer.id).cancelled_because is None
    assert "The request was withdrawn or closed" in page
    assert "suspended" not in page


def _decide(session, *, provider_id: int, action: str) -> None:
    provider = session.get(Provider, provider_id)
    provider_decisions.decide(session, provider, action=action, reason="Checked.", actor_id=None)

"""One test per hard filter: the provider that fails it is never offered the lead.

Each runs the real job against the database, beside a provider that fits, so a filter that
let everyone through (or no one) would fail the test.
"""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from matcher.models import LeadOffer, ProviderStatus, utcnow
from tests.market import (
    affiliate,
    confirmed_request,
    fresh,
    make_body,
    make_cb,
    make_consultant,
)
from workers.matching import match_request


def offered_ids(db, request_id: int) -> set[int]:
    fresh(db)
    rows = db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == request_id))
    return set(rows.all())


def run(db, **request_values) -> set[int]:
    request_id = confirmed_request(db, **request_values).id
    fresh(db)
    match_request(request_id)
    return offered_ids(db, request_id)


@pytest.mark.parametrize(
    "status", [ProviderStatus.PENDING, ProviderStatus.REJECTED, ProviderStatus.SUSPENDED]
)
def test_a_provider_that_is_not_verified_is_never_offered_a_lead(db, status):
    fits = make_cb(db)
    unverified = make_cb(db, status=status)
    assert run(db) == {fits.id}
    assert unverified.id not in run(db)


def test_a_consultant_is_never_offered_a_certification_only_request(db):
    fits = make_cb(db)
    consultant = make_consultant(db)
    assert run(db, service="certification") == {fits.id}
    assert consultant.id in run(db, service="consultancy")


def test_a_cb_is_never_offered_a_consultancy_only_request(db):
    fits = make_consultant(db)
    cb = make_cb(db)
    assert run(db, service="consultancy") == {fits.id}
    assert cb.id in run(db, service="certification")


def test_a_provider_that_does_not_cover_every_requested_standard_is_never_offered(db):
    fits = make_cb(db, scope=(("iso9001", 17), ("iso14001", 17)))
    make_cb(db, scope=(("iso9001", 17),))
    make_consultant(db, standards=("iso9001",))
    full = make_consultant(db, standards=("iso9001", "iso14001"))
    assert run(db, standards="iso9001 iso14001", service="both") == {fits.id, full.id}


def test_a_cb_not_accredited_for_the_request_sector_is_never_offered(db):
    fits = make_cb(db, scope=(("iso9001", 17),))
    make_cb(db, scope=(("iso9001", 3), ("iso9001", 18)))
    assert run(db, sector=17) == {fits.id}


def test_a_consultant_naming_only_other_sectors_is_never_offered(db):
    specialist = make_consultant(db, sectors=(17,))
    generalist = make_consultant(db, sectors=())
    make_consultant(db, sectors=(3, 28))
    assert run(db, sector=17, service="consultancy") == {specialist.id, generalist.id}


def test_a_cb_accredited_by_an_unrecognised_body_is_never_offered(db):
    fits = make_cb(db)
    make_cb(db, body=make_body(db, recognised=False))
    unaccredited = make_cb(db)
    unaccredited.accreditation_body_id = None
    db.add(unaccredited)
    db.commit()
    assert run(db) == {fits.id}


def test_a_cb_whose_accreditation_body_is_suspended_is_never_offered(db):
    fits = make_cb(db)
    make_cb(db, body=make_body(db, suspended=True))
    assert run(db) == {fits.id}


def test_a_cb_whose_accreditation_has_expired_is_never_offered(db):
    today = utcnow().date()
    fits = make_cb(db, expires_on=today)
    make_cb(db, expires_on=today - timedelta(days=1))
    assert run(db) == {fits.id}


def test_a_provider_that_does_not_serve_the_request_country_is_never_offered(db):
    fits = make_cb(db, countries=("GB", "IE"))
    make_cb(db, countries=("IE", "FR"))
    assert run(db, country="GB") == {fits.id}


def test_a_provider_whose_employee_range_excludes_the_headcount_is_never_offered(db):
    fits = make_cb(db, min_employees=45, max_employees=45)
    make_cb(db, min_employees=1, max_employees=44)
    make_cb(db, min_employees=46, max_employees=500)
    assert run(db, employees=45) == {fits.id}


def test_a_provider_at_its_monthly_cap_is_never_offered(db):
    capped = make_cb(db, monthly_cap=2)
    fits = make_cb(db, monthly_cap=5)
    for _ in range(2):  # two requests fill the first CB's cap: 2 offers in 30 days
        assert capped.id in run(db)
    assert run(db) == {fits.id}


def test_offers_older_than_30_days_no_longer_count_against_the_cap(db):
    capped = make_cb(db, monthly_cap=1)
    request_id = confirmed_request(db).id
    db.add(
        LeadOffer(
            request_id=request_id,
            provider_id=capped.id,
            offered_at=utcnow() - timedelta(days=31),
            expires_at=utcnow() - timedelta(days=29),
        )
    )
    db.commit()
    assert run(db) == {capped.id}


def test_a_provider_is_never_offered_the_same_request_twice(db):
    from matcher.leads import offers

    first = make_cb(db)
    request_id = confirmed_request(db).id
    fresh(db)
    match_request(request_id)
    assert offered_ids(db, request_id) == {first.id}
    offer = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).one()
    offer.status = "declined"
    db.add(offer)
    db.commit()
    second = make_cb(db)
    outcome = offers.rematch_request(db, request_id, "decline")
    db.commit()
    assert [o.provider_id for o in outcome.offers] == [second.id]
    assert offers.rematch_request(db, request_id, "decline").offers == []


def test_an_affiliated_consultant_and_cb_are_never_offered_the_same_request(db):
    cb = make_cb(db, region="Yorkshire")
    tied = make_consultant(db, region="Yorkshire", sectors=(17,))
    other = make_consultant(db)
    affiliate(db, tied, cb)  # declared by the consultant only
    offered = run(db, service="both")
    assert cb.id in offered
    assert tied.id not in offered
    assert other.id in offered


def test_a_cb_affiliated_with_the_business_current_consultant_is_never_offered(db):
    current = make_consultant(db, name="Current Advisers")
    tied = make_cb(db)
    fits = make_cb(db)
    affiliate(db, current, tied)
    assert run(db, current_consultant_id=current.id, current_consultant_name=current.name) == {
        fits.id
    }


def test_a_cb_without_an_accreditation_expiry_date_is_never_offered(db):
    fits = make_cb(db, expires_on=date(2099, 1, 1))
    undated = make_cb(db)
    undated.accreditation_expires_on = None
    db.add(undated)
    db.commit()
    assert run(db) == {fits.id}

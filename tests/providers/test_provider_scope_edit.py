"""A verified provider edits what it offers after joining: what counts at once, what waits."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from matcher.accounts.users import create_user
from matcher.models import (
    AuditLog,
    LeadOffer,
    OutboxMessage,
    Provider,
    ProviderKind,
    ProviderMatchKey,
    Qualification,
    Role,
)
from matcher.providers import profiles as providers
from matcher.vetting import change_review, decisions
from tests.factories import make_request
from tests.page_helpers import field_errors
from tests.profile_helpers import logged_in, save_profile
from tests.provider_factories import make_provider
from workers.matching import match_request


@pytest.fixture
def consultant_client(client, db):
    consultant = make_provider(
        db, kind=ProviderKind.CONSULTANT, accreditation_body=None, name="Jane Doe Consulting",
        standards=["iso9001"], sectors=[17], countries=["GB"],
    )  # fmt: skip
    return logged_in(client, db, consultant)


@pytest.fixture
def cb_client(client, db):
    cb = make_provider(db, standards=["iso9001"], sectors=[17], accreditation_number="UKAS-7")
    return logged_in(client, db, cb)


def _audit(db, provider_id: int) -> list[tuple[str, str | None]]:
    db.rollback()
    rows = db.exec(
        select(AuditLog.action, AuditLog.reason)
        .where(AuditLog.object_type == "provider", AuditLog.object_id == provider_id)
        .order_by(AuditLog.id)
    )
    return list(rows)


def _admin_mails(db) -> list[OutboxMessage]:
    db.rollback()
    query = select(OutboxMessage).where(OutboxMessage.template == "admin_provider_changes")
    return list(db.exec(query))


def _offered(db, request_id: int) -> set[int]:
    db.rollback()
    rows = db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == request_id))
    return set(rows)


def _request(db, **fields) -> int:
    """A confirmed request (GB, sector 17, ISO 9001 unless told); its id."""
    db.commit()  # a stale SQLite read snapshot cannot write
    return make_request(db, status="confirmed", **fields).id


def _admin(db):
    db.commit()
    create_user(
        db, email="ops@certmatch.example", password="x" * 20, role=Role.ADMIN, email_confirmed=True
    )
    db.commit()


def test_a_consultant_who_adds_a_sector_then_gets_a_lead_for_it(consultant_client, db):
    consultant_id = consultant_client.provider.id
    before = _request(db, service="consultancy", sector=18)
    match_request(before)
    assert consultant_id not in _offered(db, before)

    assert save_profile(consultant_client, db, sectors=["17", "18"]).status_code == 303

    keys = db.exec(
        select(ProviderMatchKey.sector).where(ProviderMatchKey.provider_id == consultant_id)
    )
    assert sorted(keys) == [17, 18]
    after = _request(db, service="consultancy", sector=18)
    match_request(after)
    assert consultant_id in _offered(db, after)


def test_a_consultants_new_standards_and_countries_count_at_once_and_are_logged(
    consultant_client, db
):
    consultant_id = consultant_client.provider.id
    _admin(db)
    response = save_profile(
        consultant_client, db, standards=["iso9001", "iso14001"], countries=["GB", "IE"]
    )
    assert response.status_code == 303

    provider = db.get(Provider, consultant_id)
    assert provider.pending_changes is None
    assert providers.coverage(db, provider)["standards"] == ["iso14001", "iso9001"]
    assert _audit(db, consultant_id) == [("change_coverage", "countries +IE; standards +iso14001")]
    assert _admin_mails(db) == []  # a consultant's own declaration is logged, not reviewed
    request_id = _request(
        db, service="consultancy", country="IE", standards="iso14001", currency="EUR"
    )
    match_request(request_id)
    assert consultant_id in _offered(db, request_id)


def test_a_consultant_who_drops_a_standard_stops_getting_its_leads(consultant_client, db):
    consultant_id = consultant_client.provider.id
    save_profile(consultant_client, db, standards=["iso9001", "iso14001"])
    assert save_profile(consultant_client, db, standards=["iso14001"]).status_code == 303

    request_id = _request(db, service="consultancy")
    match_request(request_id)
    assert consultant_id not in _offered(db, request_id)
    assert _audit(db, consultant_id)[-1] == ("change_coverage", "standards -iso9001")


def test_saving_the_profile_unchanged_writes_no_audit_entry(consultant_client, db):
    assert save_profile(consultant_client, db).status_code == 303
    assert _audit(db, consultant_client.provider.id) == []


def test_a_consultants_new_qualification_waits_for_an_admin(consultant_client, db):
    consultant_id = consultant_client.provider.id
    expires = (date.today() + timedelta(days=400)).isoformat()
    response = save_profile(
        consultant_client, db,
        **{"qualifications-0-name": "IRCA lead auditor ISO 9001",
           "qualifications-0-issuer": "CQI/IRCA", "qualifications-0-number": "IR-42",
           "qualifications-0-expires_on": expires},
    )  # fmt: skip
    assert response.status_code == 303

    # It sits under the business's "Verified" badge: nothing counts before an admin checked it.
    assert (
        db.exec(select(Qualification).where(Qualification.provider_id == consultant_id)).all() == []
    )
    assert db.get(Provider, consultant_id).pending_changes["qualifications"] == [
        {"name": "IRCA lead auditor ISO 9001", "issuer": "CQI/IRCA", "number": "IR-42",
         "expires_on": expires}
    ]  # fmt: skip
    page = consultant_client.get("/provider/profile").get_data(as_text=True)
    assert 'value="IRCA lead auditor ISO 9001"' in page
    assert _audit(db, consultant_id) == [
        (
            "propose_changes",
            "qualification +IRCA lead auditor ISO 9001 (CQI/IRCA, no. IR-42, valid until "
            f"{expires})",
        )
    ]
    # Leaving every row empty withdraws it.
    assert save_profile(consultant_client, db).status_code == 303
    assert db.get(Provider, consultant_id).pending_changes is None
    assert _audit(db, consultant_id)[-1] == ("withdraw_changes", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"qualifications-0-issuer": "CQI/IRCA"}, "qualifications-0-name"),
        ({"qualifications-1-name": "n" * 201}, "qualifications-1-name"),
        ({"qualifications-0-name": "A", "qualifications-0-expires_on": "soon"},
         "qualifications-0-expires_on"),
        ({"sectors": ["99"]}, "sectors"),
        ({"standards": ["iso9999"]}, "standards"),
    ],
)  # fmt: skip
def test_bad_qualification_or_scope_input_gets_a_field_error_and_writes_nothing(
    consultant_client, db, change, field
):
    response = save_profile(consultant_client, db, **change)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert _audit(db, consultant_client.provider.id) == []
    assert db.exec(select(Qualification)).all() == []


def test_a_cb_widening_its_scope_waits_for_an_admin_who_is_told(cb_client, db):
    cb_id = cb_client.provider.id
    _admin(db)
    assert save_profile(cb_client, db, sectors=["17", "18"]).status_code == 303

    provider = db.get(Provider, cb_id)
    assert providers.coverage(db, provider)["scope"] == [("iso9001", 17)]
    assert provider.pending_changes["scope"] == [["iso9001", 17], ["iso9001", 18]]
    assert _audit(db, cb_id) == [
        ("change_coverage", "sectors +18"),
        ("propose_changes", "scope +iso9001×18"),
    ]
    (mail,) = _admin_mails(db)
    assert mail.to_email == "ops@certmatch.example"
    assert "scope +iso9001×18" in mail.body_text
    assert f"/admin/providers/{cb_id}" in mail.body_text
    waiting = _request(db, sector=18)
    match_request(waiting)
    assert cb_id not in _offered(db, waiting)

    # Saving the form again while the change waits neither logs nor mails it twice.
    assert (
        save_profile(cb_client, db, sectors=["17", "18"], phone="+44 20 7946 0000").status_code
        == 303
    )
    assert len(_admin_mails(db)) == 1
    assert [action for action, _ in _audit(db, cb_id)].count("propose_changes") == 1

    provider = db.get(Provider, cb_id)
    change_review.apply_pending_changes(db, provider, actor_id=None)
    db.commit()
    approved = _request(db, sector=18)
    match_request(approved)
    assert cb_id in _offered(db, approved)


def test_a_cb_narrowing_its_scope_counts_at_once_without_review(client, db):
    cb = make_provider(db, standards=["iso9001"], sectors=[17, 18])
    cb_client = logged_in(client, db, cb)
    _admin(db)
    assert save_profile(cb_client, db, sectors=["17"]).status_code == 303

    provider = db.get(Provider, cb.id)
    assert providers.coverage(db, provider)["scope"] == [("iso9001", 17)]
    assert provider.pending_changes is None
    assert _audit(db, cb.id) == [("change_coverage", "sectors -18; scope -iso9001×18")]
    assert _admin_mails(db) == []
    request_id = _request(db, sector=18)
    match_request(request_id)
    assert cb.id not in _offered(db, request_id)


def test_sending_the_live_scope_back_withdraws_the_change_waiting(cb_client, db):
    cb_id = cb_client.provider.id
    save_profile(cb_client, db, sectors=["17", "18"])
    assert db.get(Provider, cb_id).pending_changes is not None

    assert save_profile(cb_client, db, sectors=["17"]).status_code == 303

    assert db.get(Provider, cb_id).pending_changes is None
    assert _audit(db, cb_id)[-1] == ("withdraw_changes", None)


def test_a_refused_scope_widening_is_dropped_and_the_cb_is_told_why(cb_client, db):
    cb_id = cb_client.provider.id
    save_profile(cb_client, db, sectors=["17", "18"])
    provider = db.get(Provider, cb_id)

    with pytest.raises(decisions.DecisionError):
        change_review.discard_pending_changes(db, provider, reason=" ", actor_id=None)
    change_review.discard_pending_changes(
        db, provider, reason="Sector 18 is not on the UKAS schedule.", actor_id=None
    )
    db.commit()

    assert providers.coverage(db, db.get(Provider, cb_id))["scope"] == [("iso9001", 17)]
    assert db.get(Provider, cb_id).pending_changes is None
    (told,) = db.exec(
        select(OutboxMessage).where(OutboxMessage.template == "provider_changes_refused")
    ).all()
    assert told.to_email == cb_client.provider.email
    assert "Sector 18 is not on the UKAS schedule." in told.body_text
    assert "current accreditation and scope keep working" in told.body_text

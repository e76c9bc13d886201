"""An accreditation body counts for a CB only in the IAF MLA schemes it is confirmed for.

Each test runs the real match job (or the admin's page) against the database; the keys the
narrowing reads are checked against a full rebuild after every change.
"""

import pytest
from sqlmodel import select

from matcher.candidates.narrowing import count_removed
from matcher.candidates.search import request_facts
from matcher.iso.reference import STANDARDS
from matcher.models import (
    AuditLog,
    BodySchemeRecognition,
    LeadOffer,
    OfferStatus,
    OutboxJob,
    QuoteRequest,
    utcnow,
)
from matcher.providers.accreditation import ensure_accreditation_bodies, find_body
from matcher.providers.recognition import recognised_standards
from matcher.providers.vouching import lock_vouched
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.candidates.test_candidates_match_keys import assert_keys_match_a_full_rebuild
from tests.lead_helpers import login_as, matched_request
from tests.market import confirmed_request, fresh, make_body, make_cb
from tests.provider_factories import make_provider
from workers.matching import match_request

BOTH = (("iso9001", 17), ("iso27001", 17))


@pytest.fixture
def admin_client(app, db):
    admin = make_admin(db)
    client = app.test_client()
    login(client, admin.email, ADMIN_PASSWORD)
    return client


def offered(db, standards: str) -> set[int]:
    """Match a fresh GB, sector 17 request for `standards`; the providers it was offered to."""
    request_id = confirmed_request(db, standards=standards).id
    fresh(db)
    match_request(request_id)
    fresh(db)
    return set(db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == request_id)))


def press(client, body_id: int, scheme: str, status: str, *, token: str | None = None):
    token = token if token is not None else csrf_token(client, "/admin/bodies")
    return client.post(
        f"/admin/bodies/{body_id}/schemes/{scheme}", data={"csrf_token": token, "status": status}
    )


def test_a_cb_confirmed_for_qms_but_not_isms_gets_iso_9001_leads_and_no_iso_27001_lead(db):
    cb = make_cb(db, scope=BOTH, body=make_body(db, schemes=("QMS",)))
    kept = assert_keys_match_a_full_rebuild(db)
    # The narrowing never sees the CB for ISO/IEC 27001: no key, and no bit in its set.
    assert {k[2] for k in kept if k[0] == cb.id} == {"iso9001"}
    assert offered(db, "iso9001") == {cb.id}
    assert offered(db, "iso27001") == set()
    assert offered(db, "iso9001 iso27001") == set()


def test_the_admin_explanation_counts_the_cb_under_its_accreditation_body(db):
    make_cb(db, scope=BOTH, body=make_body(db, schemes=("QMS",)))
    quote_request = confirmed_request(db, standards="iso27001")
    fresh(db)
    counts = count_removed(db, request_facts(quote_request), utcnow())
    assert counts["accreditation_body"] == 1 and counts["eligible"] == 0


def test_an_admin_confirming_isms_makes_the_cb_eligible_at_once(admin_client, db):
    body = make_body(db, schemes=("QMS",))
    cb = make_cb(db, scope=BOTH, body=body)
    response = press(admin_client, body.id, "ISMS", "confirmed")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/bodies#body-{body.id}")
    kept = assert_keys_match_a_full_rebuild(db)
    assert (cb.id, "GB", "iso27001", "certification_body", 17) in kept
    assert offered(db, "iso9001 iso27001") == {cb.id}
    fresh(db)
    row = db.get(BodySchemeRecognition, (body.id, "ISMS"))
    assert row.status == "confirmed" and row.decided_by_id is not None
    actions = db.exec(select(AuditLog.action).where(AuditLog.object_id == body.id)).all()
    assert actions == ["confirm_body_scheme"]


def test_pressing_confirm_twice_decides_and_logs_once(admin_client, db):
    body = make_body(db, schemes=("QMS",))
    assert press(admin_client, body.id, "EMS", "confirmed").status_code == 303
    assert press(admin_client, body.id, "EMS", "confirmed").status_code == 303
    fresh(db)
    logged = db.exec(select(AuditLog).where(AuditLog.action == "confirm_body_scheme")).all()
    assert len(logged) == 1


def test_a_cb_whose_body_is_confirmed_for_nothing_gets_no_lead(db):
    # SCC: the shipped data confirms no scheme for it (one undated secondary source only).
    cb = make_provider(db, accreditation_body="SCC", standards=("iso9001", "iso14001"))
    unconfirmed = make_cb(db, body=make_body(db, recognised=False))
    fits = make_cb(db)
    assert offered(db, "iso9001") == {fits.id}
    assert cb.id != unconfirmed.id


def test_ukas_comes_out_recognised_for_all_seven_standards(db):
    ensure_accreditation_bodies(db)
    db.commit()
    ukas = find_body(db, "UKAS")
    assert ukas.recognised and recognised_standards(db, [ukas.id])[ukas.id] == set(STANDARDS)
    anab = find_body(db, "ANAB")
    assert "iso45001" not in recognised_standards(db, [anab.id])[anab.id]


def test_the_match_runs_recheck_under_lock_asks_for_each_requested_scheme(db):
    cb = make_cb(db, scope=BOTH, body=make_body(db, schemes=("QMS",)))
    today = utcnow().date()
    assert lock_vouched(db, [cb.id], today=today, standards=("iso9001",)) == {cb.id}
    assert lock_vouched(db, [cb.id], today=today, standards=("iso9001", "iso27001")) == set()
    db.rollback()


def test_rejecting_a_confirmed_scheme_withdraws_only_the_leads_for_it(admin_client, db):
    body = make_body(db)
    cb = make_cb(db, scope=BOTH, body=body)
    quality, (kept,) = matched_request(db, [cb], standards="iso9001")
    security, (taken,) = matched_request(db, [cb], standards="iso27001")
    response = press(admin_client, body.id, "ISMS", "rejected")
    assert response.status_code == 303
    fresh(db)
    assert db.get(LeadOffer, kept.id).status == OfferStatus.OFFERED
    withdrawn = db.get(LeadOffer, taken.id)
    assert (withdrawn.status, withdrawn.cancelled_because) == (
        OfferStatus.CANCELLED,
        "body_not_recognised",
    )
    rematches = db.exec(select(OutboxJob.args).where(OutboxJob.func == "rematch_request")).all()
    assert [args[0] for args in rematches] == [security.id]
    assert_keys_match_a_full_rebuild(db)
    assert offered(db, "iso27001") == set()
    assert db.get(QuoteRequest, quality.id) is not None


def test_the_bodies_page_shows_each_scheme_and_its_evidence_in_plain_words(admin_client, db):
    page = admin_client.get("/admin/bodies").get_data(as_text=True)
    assert "UKAS" in page and "QMS confirmed" in page and "EnMS unconfirmed" in page
    assert "UKAS&#39;s own page" in page or "UKAS's own page" in page
    assert "Strength of the evidence: said by the body itself" in page
    assert "[S1]" not in page and "primary-excerpt" not in page and "UNCERTAIN" not in page


def test_a_scheme_decision_needs_an_admin_a_csrf_token_and_a_real_body_and_scheme(
    app, admin_client, db
):
    body = make_body(db, schemes=("QMS",))
    assert press(admin_client, body.id, "ISMS", "confirmed", token="").status_code == 400
    assert press(admin_client, body.id, "ISMS", "maybe").status_code == 400
    assert press(admin_client, body.id, "XYZ", "confirmed").status_code == 404
    assert press(admin_client, 999_999, "ISMS", "confirmed").status_code == 404
    provider_client = app.test_client()
    login_as(provider_client, db, make_cb(db, body=body))
    token = csrf_token(provider_client, "/provider/profile")
    assert press(provider_client, body.id, "ISMS", "confirmed", token=token).status_code == 403
    fresh(db)
    assert db.get(BodySchemeRecognition, (body.id, "ISMS")).status == "unconfirmed"


def test_a_body_an_admin_adds_counts_for_nothing_until_a_scheme_is_confirmed(admin_client, db):
    token = csrf_token(admin_client, "/admin/bodies")
    response = admin_client.post(
        "/admin/bodies",
        data={"csrf_token": token, "acronym": "NEWAB", "name": "New Accreditation Body"},
    )
    assert response.status_code == 303
    fresh(db)
    body = find_body(db, "NEWAB")
    assert not body.recognised
    rows = db.exec(select(BodySchemeRecognition).where(BodySchemeRecognition.body_id == body.id))
    assert {row.status for row in rows} == {"unconfirmed"}


def test_a_cbs_admin_page_says_in_plain_words_what_its_body_counts_for(admin_client, db):
    cb = make_provider(db, accreditation_body="DAkkS", standards=("iso9001", "iso27001"))
    page = admin_client.get(f"/admin/providers/{cb.id}").get_data(as_text=True)
    assert "Body counts for</dt><dd>ISO 9001 (quality), ISO 14001 (environment)" in page
    assert "Not offered for ISO/IEC 27001 (information security)" in page
    assert "[S1]" not in page and "[S2]" not in page


def test_a_cb_moving_to_a_body_not_confirmed_for_isms_loses_its_iso_27001_keys(db):
    cb = make_cb(db, scope=BOTH)
    assert {k[2] for k in assert_keys_match_a_full_rebuild(db) if k[0] == cb.id} == {
        "iso9001",
        "iso27001",
    }
    cb.accreditation_body_id = make_body(db, schemes=("QMS",)).id
    db.add(cb)
    db.commit()
    kept = assert_keys_match_a_full_rebuild(db)
    assert {k[2] for k in kept if k[0] == cb.id} == {"iso9001"}

"""An affiliation declared by one side keeps no one from a business until the other side
confirms it or an admin approves it; the other side is told, the admin sees who did what.
"""

from sqlmodel import select

from matcher.models import Affiliation, AffiliationConfirmation, AuditLog, LeadOffer
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin, post_form
from tests.lead_helpers import login_as, mails
from tests.market import affiliate, confirmed_request, fresh, make_cb, make_consultant
from workers.matching import match_request

PROFILE = "/provider/profile"


def offered(db, **request_values) -> set[int]:
    """Run the real match job on a new confirmed request; the providers it offered."""
    request_id = confirmed_request(db, **request_values).id
    fresh(db)
    match_request(request_id)
    fresh(db)
    return set(db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == request_id)))


def advised_by(consultant) -> dict:
    """Request values of a business that names `consultant` as its current consultant."""
    return {"current_consultant_id": consultant.id, "current_consultant_name": consultant.name}


def declare(client, email: str):
    return post_form(client, f"{PROFILE}/affiliations", {"email": email}, token_from=PROFILE)


def row(db, declarer, named) -> Affiliation:
    fresh(db)
    return db.get(Affiliation, (declarer.id, named.id), populate_existing=True)


def admin_client(client, db):
    admin = client.application.test_client()
    make_admin(db)
    assert login(admin, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    return admin


def test_a_consultant_declaring_every_cb_costs_its_business_no_offers_and_each_cb_is_told(
    client, db, jobs, smtp_sink
):
    cbs = [make_cb(db, name=f"Certifier {n}") for n in range(3)]
    consultant = make_consultant(db, name="Everywhere Advisers")
    login_as(client, db, consultant)

    for cb in cbs:
        response = declare(client, cb.email)
        assert response.status_code == 303
        assert "once they confirm" in client.get(response.location).get_data(as_text=True)

    assert offered(db, **advised_by(consultant)) == {cb.id for cb in cbs}
    assert offered(db, service="both") >= {consultant.id}
    told = mails(db, "affiliation_declared")
    assert sorted(m.to_email for m in told) == sorted(cb.email for cb in cbs)
    jobs()
    smtp_sink.wait_for(len(cbs))
    for cb in cbs:
        (mail,) = [m for m in smtp_sink.to(cb.email) if "affiliation" in m["Subject"]]
        assert "Everywhere Advisers declared an affiliation with you" in mail["Subject"]
        body = mail.get_body(("plain",)).get_content()
        assert "http://certmatch.test/provider/profile#affiliations" in body
        assert "does not count yet" in body


def test_once_the_cb_confirms_it_is_never_offered_the_consultants_business(client, db):
    cb, other_cb = make_cb(db, name="Pennine Certification"), make_cb(db)
    consultant = make_consultant(db, name="Tied Advisers")
    affiliate(db, consultant, cb, in_force=False)
    login_as(client, db, cb)
    page = client.get(PROFILE).get_data(as_text=True)
    assert "Tied Advisers" in page and "please answer" in page

    response = post_form(
        client, f"{PROFILE}/affiliations/{consultant.id}/confirm", {}, token_from=PROFILE
    )
    assert response.status_code == 303
    confirmed = row(db, consultant, cb)
    assert confirmed.confirmed_via == AffiliationConfirmation.OTHER_SIDE
    assert confirmed.confirmed_by_id is not None and confirmed.confirmed_at is not None
    assert offered(db, **advised_by(consultant)) == {other_cb.id}
    assert "in force" in client.get(PROFILE).get_data(as_text=True)


def test_declaring_back_an_affiliation_declared_about_you_confirms_it(client, db):
    cb = make_cb(db)
    consultant = make_consultant(db)
    affiliate(db, consultant, cb, in_force=False)
    login_as(client, db, cb)
    assert declare(client, consultant.email).status_code == 303
    assert row(db, consultant, cb).confirmed_via == AffiliationConfirmation.OTHER_SIDE
    assert row(db, cb, consultant) is None, "one row per pair, not two"


def test_only_the_named_side_can_confirm_a_declaration(client, db):
    cb = make_cb(db)
    consultant = make_consultant(db)
    stranger = make_consultant(db)
    affiliate(db, consultant, cb, in_force=False)
    login_as(client, db, consultant)
    for declarer in (cb, consultant):
        response = post_form(
            client, f"{PROFILE}/affiliations/{declarer.id}/confirm", {}, token_from=PROFILE
        )
        assert "No such declaration waits for you" in client.get(response.location).get_data(
            as_text=True
        )
    outsider = client.application.test_client()
    login_as(outsider, db, stranger)
    post_form(outsider, f"{PROFILE}/affiliations/{consultant.id}/confirm", {}, token_from=PROFILE)
    assert not row(db, consultant, cb).in_force
    assert offered(db, **advised_by(consultant)) == {cb.id}


def test_a_cb_saying_it_is_not_true_leaves_it_to_an_admin_who_approves_it(client, db):
    cb = make_cb(db, name="Disputing Certification")
    consultant = make_consultant(db, name="Claiming Advisers")
    affiliate(db, consultant, cb, in_force=False)
    login_as(client, db, cb)
    post_form(client, f"{PROFILE}/affiliations/{consultant.id}/dispute", {}, token_from=PROFILE)
    disputed = row(db, consultant, cb)
    assert disputed.disputed_at is not None and not disputed.in_force
    assert offered(db, **advised_by(consultant)) == {cb.id}

    admin = admin_client(client, db)
    listing = admin.get("/admin/affiliations").get_data(as_text=True)
    assert "Claiming Advisers" in listing and "disputed" in listing
    path = f"/admin/providers/{consultant.id}/affiliations/{cb.id}/approve"
    response = post_form(admin, path, {"back": "list"}, token_from="/admin/affiliations")
    assert response.location.endswith("/admin/affiliations")
    approved = row(db, consultant, cb)
    assert approved.confirmed_via == AffiliationConfirmation.ADMIN
    assert offered(db, **advised_by(consultant)) == set()
    (entry,) = db.exec(select(AuditLog).where(AuditLog.action == "approve_affiliation")).all()
    assert entry.object_id == consultant.id and str(cb.id) in entry.reason


def test_the_admin_list_shows_who_declared_when_and_who_confirmed(client, db):
    cb = make_cb(db, name="Answering Certification")
    waiting_cb = make_cb(db, name="Silent Certification")
    consultant = make_consultant(db, name="Declaring Advisers")
    login_as(client, db, consultant)
    declare(client, cb.email)
    declare(client, waiting_cb.email)
    cb_client = client.application.test_client()
    login_as(cb_client, db, cb)
    post_form(cb_client, f"{PROFILE}/affiliations/{consultant.id}/confirm", {}, token_from=PROFILE)

    admin = admin_client(client, db)
    assert '1</span> <a href="/admin/affiliations">' in admin.get("/admin/").get_data(as_text=True)
    waiting = admin.get("/admin/affiliations").get_data(as_text=True)
    assert "Silent Certification" in waiting and "Answering Certification" not in waiting
    everything = admin.get("/admin/affiliations?show=all").get_data(as_text=True)
    today = row(db, consultant, cb).created_at.strftime("%Y-%m-%d")
    assert "Declaring Advisers" in everything and consultant.email in everything
    assert today in everything
    assert "confirmed by the other side" in everything and cb.email in everything
    detail = admin.get(f"/admin/providers/{cb.id}").get_data(as_text=True)
    assert "Declaring Advisers" in detail and "confirmed by the other side" in detail


def test_an_admin_removes_a_waiting_declaration_from_the_list_with_a_reason(client, db):
    cb = make_cb(db)
    consultant = make_consultant(db)
    affiliate(db, consultant, cb, in_force=False)
    admin = admin_client(client, db)
    path = f"/admin/providers/{consultant.id}/affiliations/{cb.id}/remove"
    post_form(admin, path, {"reason": "", "back": "list"}, token_from="/admin/affiliations")
    assert row(db, consultant, cb) is not None, "a reason is required"
    post_form(admin, path, {"reason": "Not true", "back": "list"}, token_from="/admin/affiliations")
    assert row(db, consultant, cb) is None
    (entry,) = db.exec(select(AuditLog).where(AuditLog.action == "remove_affiliation")).all()
    assert "Not true" in entry.reason

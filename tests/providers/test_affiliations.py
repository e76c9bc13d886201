"""Providers declare affiliations themselves (in force once confirmed, see
test_affiliations_count_once_confirmed.py); only an admin removes one, with a reason.
"""

from sqlmodel import select

from matcher.models import Affiliation, AuditLog, ProviderKind
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    login,
    make_admin,
    make_provider_user,
    post_form,
)
from tests.provider_factories import make_provider


def _affiliations(db) -> set[tuple[int, int]]:
    db.rollback()
    return {(a.provider_id, a.affiliated_provider_id) for a in db.exec(select(Affiliation))}


def _as_provider(client, db, provider):
    make_provider_user(db, provider)
    assert login(client, provider.email, PROVIDER_PASSWORD).status_code == 303


def test_a_provider_declares_an_affiliation_from_its_profile(client, db):
    consultant = make_provider(db, kind=ProviderKind.CONSULTANT, accreditation_body=None)
    cb = make_provider(db, name="Pennine Certification")
    _as_provider(client, db, consultant)

    response = post_form(
        client, "/provider/profile/affiliations", {"email": cb.email.upper()},
        token_from="/provider/profile",
    )  # fmt: skip
    assert response.status_code == 303
    assert _affiliations(db) == {(consultant.id, cb.id)}
    page = client.get("/provider/profile").get_data(as_text=True)
    assert "Pennine Certification" in page
    assert "It counts once they confirm it or an admin approves it." in page
    # Declaring twice changes nothing.
    post_form(client, "/provider/profile/affiliations", {"email": cb.email},
              token_from="/provider/profile")  # fmt: skip
    assert _affiliations(db) == {(consultant.id, cb.id)}


def test_bad_affiliation_input_gets_a_field_error_and_writes_nothing(client, db):
    consultant = make_provider(db, kind=ProviderKind.CONSULTANT, accreditation_body=None)
    _as_provider(client, db, consultant)
    for email, message in (
        ("", "Enter the e-mail address"),
        ("not-an-address", "Enter a valid e-mail address."),
        ("nobody@nowhere.example", "No provider on CertMatch uses this e-mail address."),
        (consultant.email, "That is your own address."),
        ("a\x00b@x.example", "cannot accept"),
    ):
        response = post_form(client, "/provider/profile/affiliations", {"email": email},
                             token_from="/provider/profile")  # fmt: skip
        assert response.status_code == 422, email
        assert message in response.get_data(as_text=True).replace("&#39;", "'"), email
    assert _affiliations(db) == set()


def test_only_an_admin_removes_an_affiliation_and_the_audit_log_says_why(client, db):
    consultant = make_provider(db, kind=ProviderKind.CONSULTANT, accreditation_body=None)
    cb = make_provider(db, affiliated_with=())
    db.add(Affiliation(provider_id=cb.id, affiliated_provider_id=consultant.id))
    db.commit()
    path = f"/admin/providers/{consultant.id}/affiliations/{cb.id}/remove"

    _as_provider(client, db, consultant)
    assert post_form(client, path, {"reason": "x"}, token_from="/provider/profile").status_code in (
        302, 303, 403)  # fmt: skip
    assert _affiliations(db) == {(cb.id, consultant.id)}

    admin_client = client.application.test_client()
    make_admin(db)
    assert login(admin_client, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    detail = f"/admin/providers/{consultant.id}"
    post_form(admin_client, path, {"reason": ""}, token_from=detail)
    assert _affiliations(db) == {(cb.id, consultant.id)}, "a reason is required"
    post_form(admin_client, path, {"reason": "Shared ownership ended in 2025"}, token_from=detail)
    assert _affiliations(db) == set()
    db.rollback()
    (entry,) = db.exec(select(AuditLog).where(AuditLog.action == "remove_affiliation")).all()
    assert "Shared ownership ended" in entry.reason

"""A verified provider's new name waits for an admin: businesses see the checked one till then."""

from sqlmodel import select

from matcher.models import AuditLog, Provider, ProviderKind
from matcher.vetting import change_review
from tests.auth_helpers import make_admin
from tests.lead_helpers import mails
from tests.profile_helpers import logged_in, save_profile
from tests.provider_factories import make_provider


def _name(db, provider_id: int) -> str:
    db.rollback()
    return db.get(Provider, provider_id, populate_existing=True).name


def _waiting(db, provider_id: int) -> dict:
    db.rollback()
    return db.get(Provider, provider_id, populate_existing=True).pending_changes or {}


def test_a_verified_consultants_new_name_waits_and_an_admin_is_told(client, db):
    consultant = make_provider(
        db, kind=ProviderKind.CONSULTANT, accreditation_body=None, name="Jane Doe Consulting"
    )
    make_admin(db)
    logged_in(client, db, consultant)

    response = save_profile(client, db, name="Certificates Guaranteed Ltd")
    assert response.status_code == 303
    assert _name(db, consultant.id) == "Jane Doe Consulting"
    assert _waiting(db, consultant.id)["name"] == "Certificates Guaranteed Ltd"
    page = client.get("/provider/profile").get_data(as_text=True)
    assert "Changes to your name sent on" in page
    assert 'value="Certificates Guaranteed Ltd"' in page, "the form shows what waits"
    (notice,) = mails(db, "admin_provider_changes")
    assert notice.subject == "To review: Jane Doe Consulting asks to change its name"
    assert "name Jane Doe Consulting -> Certificates Guaranteed Ltd" in notice.body_text
    assert "a verified consultant" in notice.body_text

    # Saving something else keeps the rename waiting, with its date.
    sent = _waiting(db, consultant.id)["submitted_at"]
    save_profile(client, db, name="Certificates Guaranteed Ltd", monthly_cap="12")
    assert _waiting(db, consultant.id)["submitted_at"] == sent
    assert len(mails(db, "admin_provider_changes")) == 1


def test_an_approved_rename_counts_and_a_refused_one_leaves_the_name(client, db):
    cb = make_provider(db, name="Pennine Certification")
    logged_in(client, db, cb)
    save_profile(client, db, name="Pennine Cert Ltd")
    db.rollback()
    provider = db.get(Provider, cb.id, populate_existing=True)
    change_review.discard_pending_changes(db, provider, reason="Not on the register", actor_id=None)
    db.commit()
    assert _name(db, cb.id) == "Pennine Certification"
    refused = mails(db, "provider_changes_refused")[-1]
    assert "your name stays Pennine Certification" in refused.body_text

    save_profile(client, db, name="Pennine Cert Ltd")
    db.rollback()
    provider = db.get(Provider, cb.id, populate_existing=True)
    change_review.apply_pending_changes(db, provider, actor_id=None)
    db.commit()
    assert _name(db, cb.id) == "Pennine Cert Ltd"
    assert _waiting(db, cb.id) == {}
    approved = mails(db, "provider_changes_approved")[-1]
    assert approved.subject == "Your name on CertMatch: approved"
    actions = db.exec(select(AuditLog.action).where(AuditLog.object_id == cb.id)).all()
    assert {"propose_changes", "refuse_changes", "approve_changes"} <= set(actions)

"""The admins' mail about a CB's changes names the accreditation body, not its row id."""

from sqlmodel import select

from matcher.accounts.users import create_user
from matcher.models import OutboxMessage, Role
from matcher.providers.accreditation import find_body
from tests.profile_helpers import logged_in, save_profile
from tests.provider_factories import make_provider


def test_a_cb_moving_to_another_body_is_told_to_admins_by_the_bodies_acronyms(client, db):
    cb = make_provider(db, accreditation_body="UKAS", accreditation_number="UKAS-7")
    logged_in(client, db, cb)
    db.commit()
    create_user(db, email="ops@certmatch.example", password="x" * 20, role=Role.ADMIN)
    db.commit()
    dakks = find_body(db, "DAkkS")
    assert save_profile(client, db, accreditation_body=str(dakks.id)).status_code == 303
    query = select(OutboxMessage).where(OutboxMessage.template == "admin_provider_changes")
    (mail,) = db.exec(query).all()
    assert "accreditation body UKAS -> DAkkS" in mail.body_text
    assert "body id" not in mail.body_text

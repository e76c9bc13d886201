"""What waits for an admin's review is written once per profile save, stored as SQL NULL when
nothing waits, and the admin dashboard counts only the providers that really have something
waiting (on SQLite and PostgreSQL alike)."""

from contextlib import contextmanager

from sqlalchemy import JSON, Engine, event, text
from sqlmodel import select

from matcher.models import Provider, ProviderKind
from matcher.vetting import change_review
from matcher.web.admin.queries import pending_change_count
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin
from tests.profile_helpers import logged_in, save_profile
from tests.provider_factories import make_provider


@contextmanager
def provider_updates():
    """Collect every UPDATE of the provider table any engine runs meanwhile."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE provider SET"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _stored_as_sql_null(db, provider_id: int) -> bool:
    db.rollback()
    query = text("SELECT pending_changes IS NULL FROM provider WHERE id = :id")
    return bool(db.execute(query, {"id": provider_id}).scalar_one())


def test_a_save_that_parks_a_change_writes_the_waiting_changes_once(client, db):
    consultant = make_provider(db, kind=ProviderKind.CONSULTANT, accreditation_body=None)
    logged_in(client, db, consultant)
    with provider_updates() as updates:
        assert save_profile(client, db, name="Renamed Consulting Ltd").status_code == 303
    assert len([update for update in updates if "pending_changes" in update]) == 1
    waiting = db.get(Provider, consultant.id, populate_existing=True).pending_changes
    assert waiting["name"] == "Renamed Consulting Ltd" and waiting["submitted_at"]


def test_nothing_waiting_is_stored_as_sql_null_from_the_start_and_after_a_review(client, db):
    cb = make_provider(db)
    assert _stored_as_sql_null(db, cb.id)
    logged_in(client, db, cb)
    save_profile(client, db, name="Pennine Cert Ltd")
    assert not _stored_as_sql_null(db, cb.id)
    provider = db.get(Provider, cb.id, populate_existing=True)
    change_review.discard_pending_changes(db, provider, reason="Not on the register", actor_id=None)
    db.commit()
    assert _stored_as_sql_null(db, cb.id)


def test_the_dashboard_counts_only_providers_with_changes_waiting(client, db):
    for _ in range(3):
        make_provider(db)
    waiting = make_provider(db)
    waiting.pending_changes = {"name": "New Name Ltd", "submitted_at": "2026-01-02T03:04:05"}
    # Written before nothing-waiting was stored as SQL NULL: a JSON null.
    legacy = make_provider(db)
    legacy.pending_changes = JSON.NULL
    db.add_all([waiting, legacy])
    db.commit()
    db.rollback()
    assert len(db.exec(select(Provider)).all()) == 5
    assert pending_change_count(db) == 1
    admin = make_admin(db)
    assert login(client, admin.email, ADMIN_PASSWORD).status_code == 303
    page = client.get("/admin/").get_data(as_text=True)
    assert '<span class="badge warn">1</span> profile change waiting for review' in page

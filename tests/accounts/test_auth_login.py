"""Login, logout and session nonces."""

from matcher.models import ProviderStatus, User
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    login,
    logout,
    make_admin,
    make_provider_user,
)
from tests.provider_factories import make_provider


def test_an_admin_logs_in_and_lands_on_the_console(client, db):
    make_admin(db, email="boss@certmatch.example")
    response = login(client, "boss@certmatch.example", ADMIN_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


def test_a_verified_provider_logs_in_and_sees_its_inbox(client, db):
    provider = make_provider(db, status=ProviderStatus.VERIFIED)
    make_provider_user(db, provider)
    response = login(client, provider.email, PROVIDER_PASSWORD)
    assert response.headers["Location"].endswith("/provider/")
    page = client.get("/provider/")
    assert page.status_code == 200
    assert "No leads yet" in page.get_data(as_text=True)


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, db):
    make_admin(db, email="boss@certmatch.example")
    wrong = login(client, "boss@certmatch.example", "not the password at all")
    unknown = login(client, "nobody@certmatch.example", ADMIN_PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert "Wrong e-mail or password." in unknown.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_is_refused_with_429_past_the_rate_limit(app, client, db):
    app.config["RATE_LIMIT_LOGIN"] = "3 per minute"
    make_admin(db, email="boss@certmatch.example")
    codes = [
        login(client, "boss@certmatch.example", "wrong password here").status_code for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]


def test_the_session_nonce_changes_at_every_login(client, db):
    admin = make_admin(db, email="boss@certmatch.example")
    before = admin.session_nonce
    login(client, "boss@certmatch.example", ADMIN_PASSWORD)
    db.commit()
    after_first = db.get(User, admin.id).session_nonce
    logout(client)
    login(client, "boss@certmatch.example", ADMIN_PASSWORD)
    db.commit()
    after_second = db.get(User, admin.id).session_nonce
    assert len({before, after_first, after_second}) == 3


def test_an_older_session_cookie_stops_working_after_a_new_login(app, db):
    make_admin(db, email="boss@certmatch.example")
    first, second = app.test_client(), app.test_client()
    login(first, "boss@certmatch.example", ADMIN_PASSWORD)
    assert first.get("/admin/").status_code == 200
    login(second, "boss@certmatch.example", ADMIN_PASSWORD)
    assert second.get("/admin/").status_code == 200
    assert first.get("/admin/").status_code == 302


def test_the_old_cookie_no_longer_works_after_logout(app, client, db):
    make_admin(db, email="boss@certmatch.example")
    login(client, "boss@certmatch.example", ADMIN_PASSWORD)
    with client.session_transaction() as saved:
        stolen = dict(saved)
    logout(client)
    replay = app.test_client()
    with replay.session_transaction() as cookie:
        cookie.update(stolen)
    response = replay.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unconfirmed_account_cannot_log_in_yet(client, db):
    admin = make_admin(db, email="new@certmatch.example")
    admin.email_confirmed_at = None
    db.add(admin)
    db.commit()
    response = login(client, "new@certmatch.example", ADMIN_PASSWORD)
    assert response.status_code == 422
    assert "confirm your e-mail" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302

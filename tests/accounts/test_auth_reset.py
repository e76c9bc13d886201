"""Password reset by mail: single-use, expiring links; same answer for unknown addresses."""

import re
from datetime import timedelta
from unittest import mock

from sqlmodel import select

from matcher.models import OutboxMessage, User, utcnow
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.page_helpers import field_errors

NEW_PASSWORD = "quiet glacier lemonade 77"


def ask_for_reset(client, email: str):
    token = csrf_token(client, "/password/reset")
    return client.post("/password/reset", data={"csrf_token": token, "email": email})


def reset_path(smtp_sink) -> str:
    [mail] = smtp_sink.wait_for(1)
    match = re.search(r"http://certmatch\.test(/password/reset/\S+)", mail.get_content())
    assert match, mail.get_content()
    return match.group(1)


def set_password(client, path: str, password: str, confirm: str | None = None):
    token = csrf_token(client, path)
    data = {"csrf_token": token, "password": password, "confirm": confirm or password}
    return client.post(path, data=data)


def test_a_reset_link_sets_a_new_password_and_works_only_once(client, db, smtp_sink, jobs):
    make_admin(db, email="boss@certmatch.example")
    assert ask_for_reset(client, "boss@certmatch.example").status_code == 200
    jobs()
    path = reset_path(smtp_sink)
    assert client.get(path).status_code == 200
    assert set_password(client, path, NEW_PASSWORD).status_code == 303
    assert login(client, "boss@certmatch.example", ADMIN_PASSWORD).status_code == 422
    assert login(client, "boss@certmatch.example", NEW_PASSWORD).status_code == 303
    assert client.get(path).status_code == 404
    assert set_password(client, path, "another fine passphrase 99").status_code == 404


def test_a_reset_link_expires_after_an_hour(client, db, smtp_sink, jobs):
    make_admin(db, email="boss@certmatch.example")
    ask_for_reset(client, "boss@certmatch.example")
    jobs()
    path = reset_path(smtp_sink)
    later = utcnow() + timedelta(minutes=61)
    with mock.patch("matcher.accounts.users.utcnow", return_value=later):
        assert client.get(path).status_code == 404


def test_a_tampered_reset_link_does_not_work(client, db, smtp_sink, jobs):
    make_admin(db, email="boss@certmatch.example")
    ask_for_reset(client, "boss@certmatch.example")
    jobs()
    path = reset_path(smtp_sink)
    assert client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")).status_code == 404


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    known_user = make_admin(db, email="boss@certmatch.example")
    known = ask_for_reset(client, "boss@certmatch.example")
    unknown = ask_for_reset(client, "nobody@certmatch.example")
    assert known.status_code == unknown.status_code == 200
    known_page = known.get_data(as_text=True).replace("boss@", "X@")
    unknown_page = unknown.get_data(as_text=True).replace("nobody@", "X@")
    assert known_page == unknown_page
    db.commit()
    assert [m.to_email for m in db.exec(select(OutboxMessage))] == [known_user.email]


def test_a_weak_new_password_is_refused(client, db, smtp_sink, jobs):
    make_admin(db, email="boss@certmatch.example")
    ask_for_reset(client, "boss@certmatch.example")
    jobs()
    path = reset_path(smtp_sink)
    for weak in ("short", "password12345", "boss@certmatch.example1", "x" * 129):
        response = set_password(client, path, weak)
        assert response.status_code == 422, weak
        assert field_errors(response.get_data(as_text=True), "password"), weak
    db.commit()
    hashed = db.exec(select(User.password_hash)).one()
    from matcher.accounts.passwords import verify_password

    assert verify_password(hashed, ADMIN_PASSWORD)


def test_setting_a_password_ends_every_other_session(app, db, smtp_sink, jobs):
    make_admin(db, email="boss@certmatch.example")
    browser, other = app.test_client(), app.test_client()
    login(browser, "boss@certmatch.example", ADMIN_PASSWORD)
    assert browser.get("/admin/").status_code == 200
    ask_for_reset(other, "boss@certmatch.example")
    jobs()
    set_password(other, reset_path(smtp_sink), NEW_PASSWORD)
    assert browser.get("/admin/").status_code == 302


def test_password_reset_requests_are_rate_limited(app, client, db):
    app.config["RATE_LIMIT_LOGIN"] = "2 per minute"
    codes = [ask_for_reset(client, "x@example.com").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_many_reset_requests_for_one_account_send_one_mail_a_quarter_hour(client, db):
    make_admin(db, email="boss@certmatch.example")
    answers = {ask_for_reset(client, "boss@certmatch.example").status_code for _ in range(4)}
    assert answers == {200}
    db.rollback()  # read what the app committed, not an older snapshot
    resets = select(OutboxMessage).where(OutboxMessage.template == "account_password_reset")
    assert len(db.exec(resets).all()) == 1
    later = utcnow() + timedelta(minutes=16)
    with mock.patch("matcher.accounts.users.utcnow", return_value=later):
        assert ask_for_reset(client, "boss@certmatch.example").status_code == 200
    db.rollback()
    assert len(db.exec(resets).all()) == 2

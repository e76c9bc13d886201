"""The owner hears of every change to an account's two-factor sign-in, by mail."""

import logging
import subprocess
import sys

from sqlmodel import select

from matcher.accounts import two_factor
from matcher.models import ProviderStatus, User
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    code_at,
    csrf_token,
    enrol_two_factor,
    lock_state,
    login,
    make_admin,
    make_provider_user,
    offered_totp_secret,
    owner_mails,
    post_form,
    wrong_code,
)
from tests.provider_factories import make_provider

SETUP = "/account/two-factor"
STEP = "/login/two-factor"
NOT_YOU = "If this wasn't you"


def provider_email(db) -> str:
    """A verified provider with a confirmed login and no two-factor yet."""
    provider = make_provider(db, status=ProviderStatus.VERIFIED)
    make_provider_user(db, provider)
    return provider.email


def test_turning_it_on_mails_the_owner_and_a_failed_try_does_not(client, db):
    email = provider_email(db)
    login(client, email, PROVIDER_PASSWORD)
    secret = offered_totp_secret(client)
    assert post_form(client, SETUP, {"code": wrong_code(secret)}).status_code == 422
    assert owner_mails(db, email) == []
    assert post_form(client, SETUP, {"code": code_at(secret)}).status_code == 303
    ((template, body),) = owner_mails(db, email)
    assert template == "two_factor_on"
    assert NOT_YOU in body and "http://certmatch.test/password/reset" in body


def test_turning_it_off_mails_the_owner(client, db):
    email = provider_email(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD)
    off = "/account/two-factor/disable"
    data = {"password": PROVIDER_PASSWORD, "code": code_at(secret, 1)}
    assert post_form(client, off, data, token_from=SETUP).status_code == 303
    ((template, body),) = owner_mails(db, email)
    assert template == "two_factor_off"
    assert NOT_YOU in body and "password alone" in body


def test_the_cli_reset_mails_the_owner(app_env, db):
    admin = make_admin(db, email="boss@certmatch.example")
    result = subprocess.run(
        [sys.executable, "-m", "matcher.cli", "reset-two-factor", admin.email],
        env=app_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ((template, body),) = owner_mails(db, admin.email)
    assert template == "two_factor_reset"
    assert "a CertMatch admin reset" in body and "set up two-factor sign-in again" in body


def test_a_secret_sealed_under_an_old_key_says_why_and_warns_with_the_user_id(
    app, client, db, caplog
):
    email = provider_email(db)
    user = db.exec(select(User).where(User.email == email)).one()
    user_id = user.id
    current_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "the key before the rotation " + "y" * 32
    try:
        secret = enrol_two_factor(db, user)
    finally:
        app.config["SECRET_KEY"] = current_key
    assert two_factor.unseal(user.totp_secret) is None
    assert login(client, email, PROVIDER_PASSWORD, second_step=False).status_code == 303
    with caplog.at_level(logging.WARNING, logger="matcher.accounts.two_factor_lockout"):
        page = client.get(STEP)
        token = csrf_token(client, "/login")
        posted = client.post(STEP, data={"code": code_at(secret), "csrf_token": token})
    for response in (page, posted):
        assert response.status_code == 409
        assert "can no longer be read" in response.get_data(as_text=True)
        assert "admin" in response.get_data(as_text=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all(f"user {user_id} " in w and email not in w for w in warnings)
    assert lock_state(db, email) == (0, None)  # no code was ever judged, so none counts
    assert client.get("/provider/").status_code == 302


def test_an_admin_with_an_unreadable_secret_is_not_let_in_by_the_password_alone(app, client, db):
    admin = make_admin(db)
    app.config["SECRET_KEY"], current_key = "another old key " + "z" * 32, app.config["SECRET_KEY"]
    try:
        enrol_two_factor(db, admin)
    finally:
        app.config["SECRET_KEY"] = current_key
    response = login(client, admin.email, ADMIN_PASSWORD, second_step=False)
    assert response.headers["Location"].endswith(STEP)
    assert client.get("/admin/").status_code == 302

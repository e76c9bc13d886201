"""Two-factor sign-in for admins: required (outside the demo), forced set-up, the CLI reset."""

import subprocess
import sys

import pytest
from sqlmodel import select

from matcher.accounts import two_factor
from matcher.config import ConfigError, load_config
from matcher.models import AuditLog
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    code_at,
    login,
    make_admin,
    make_provider_user,
    offered_totp_secret,
    post_form,
    two_factor_state,
)
from tests.provider_factories import make_provider

SETUP = "/account/two-factor"


def test_an_admin_without_two_factor_is_sent_to_set_it_up_and_reaches_no_admin_page(
    app, client, db
):
    admin = make_admin(db, with_two_factor=False)
    response = login(client, admin.email, ADMIN_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"].endswith(SETUP)
    pages = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.arguments
    ]
    assert "/admin/" in pages and "/admin/providers" in pages
    for page in pages:
        blocked = client.get(page)
        assert blocked.status_code == 303, page
        assert blocked.headers["Location"].endswith(SETUP)
    secret = offered_totp_secret(client)
    assert "Admins need two-factor sign-in" in client.get(SETUP).get_data(as_text=True)
    assert post_form(client, SETUP, {"code": code_at(secret)}).status_code == 303
    assert client.get("/admin/").status_code == 200


def test_admins_may_sign_in_with_the_password_alone_when_two_factor_is_optional(app, client, db):
    app.config["ADMIN_TWO_FACTOR"] = "optional"
    admin = make_admin(db, with_two_factor=False)
    response = login(client, admin.email, ADMIN_PASSWORD)
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


def test_admin_two_factor_is_required_by_default_except_in_the_demo(monkeypatch, tmp_path):
    monkeypatch.delenv("ADMIN_TWO_FACTOR", raising=False)
    monkeypatch.delenv("CERTMATCH_DEMO", raising=False)
    assert load_config(str(tmp_path))["ADMIN_TWO_FACTOR"] == "required"
    monkeypatch.setenv("CERTMATCH_DEMO", "1")
    assert load_config(str(tmp_path))["ADMIN_TWO_FACTOR"] == "optional"
    monkeypatch.setenv("ADMIN_TWO_FACTOR", "Required")
    assert load_config(str(tmp_path))["ADMIN_TWO_FACTOR"] == "required"
    monkeypatch.setenv("ADMIN_TWO_FACTOR", "sometimes")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_an_admin_who_switches_off_must_set_it_up_again_before_the_console(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    secret = two_factor.unseal(two_factor_state(db, admin.email)[0])
    response = post_form(
        client,
        "/account/two-factor/disable",
        {"password": ADMIN_PASSWORD, "code": code_at(secret, 1)},
        token_from=SETUP,
    )
    assert response.status_code == 303
    assert client.get("/admin/").headers["Location"].endswith(SETUP)


def test_the_cli_resets_a_lost_phone_and_ends_the_sessions(app_env, client, db):
    admin = make_admin(db, email="boss@certmatch.example")
    login(client, admin.email, ADMIN_PASSWORD)
    assert client.get("/admin/").status_code == 200
    before = two_factor_state(db, admin.email)[2]
    result = subprocess.run(
        [sys.executable, "-m", "matcher.cli", "reset-two-factor", "Boss@CertMatch.example"],
        env=app_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "reset for boss@certmatch.example" in result.stdout
    sealed, last_step, nonce = two_factor_state(db, admin.email)
    assert (sealed, last_step) == (None, None) and nonce != before
    assert client.get("/admin/").status_code == 302  # the old session is over
    assert db.exec(select(AuditLog.action)).all() == ["two_factor_reset"]
    # Back with the password alone, the admin must set it up again.
    assert login(client, admin.email, ADMIN_PASSWORD).headers["Location"].endswith(SETUP)


def test_the_cli_reset_names_an_unknown_account(app_env):
    result = subprocess.run(
        [sys.executable, "-m", "matcher.cli", "reset-two-factor", "nobody@certmatch.example"],
        env=app_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no account for nobody@certmatch.example" in result.stderr


def test_only_an_admin_without_two_factor_must_set_it_up_and_only_while_it_is_required(app, db):
    bare = make_admin(db, "bare@certmatch.example", with_two_factor=False)
    enrolled = make_admin(db, "enrolled@certmatch.example")
    provider = make_provider_user(db, make_provider(db))
    assert [two_factor.must_enrol(u) for u in (bare, enrolled, provider)] == [True, False, False]
    app.config["ADMIN_TWO_FACTOR"] = "optional"
    assert not two_factor.must_enrol(bare)

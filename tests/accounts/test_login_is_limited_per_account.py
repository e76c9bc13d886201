"""Login is limited per account as well as per address: guessing from many IPs still stops."""

import logging

import redis

from matcher import create_app
from tests.auth_helpers import ADMIN_PASSWORD, make_admin
from tests.page_helpers import csrf_token

VICTIM = "boss@certmatch.example"
OTHER = "deputy@certmatch.example"
WRONG = "not the password at all"


def _login_from(client, address: str, email: str, password: str = WRONG):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_account_guessed_from_many_addresses_is_refused_while_another_logs_in(app, client, db):
    app.config["RATE_LIMIT_LOGIN_ACCOUNT"] = "3 per minute"
    make_admin(db, email=VICTIM, with_two_factor=False)
    make_admin(db, email=OTHER, with_two_factor=False)
    # The same address however it is typed.
    spellings = [VICTIM, " Boss@CertMatch.example", VICTIM.upper(), VICTIM]
    codes = [
        _login_from(client, f"198.51.100.{n}", email).status_code
        for n, email in enumerate(spellings, start=1)
    ]
    assert codes == [422, 422, 422, 429]
    refused = _login_from(client, "198.51.100.9", VICTIM, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts for this account" in refused.get_data(as_text=True)

    other = app.test_client()
    assert _login_from(other, "198.51.100.10", OTHER, ADMIN_PASSWORD).status_code == 303


def test_the_per_account_limit_counts_posts_only(app, client, db):
    app.config["RATE_LIMIT_LOGIN_ACCOUNT"] = "2 per minute"
    make_admin(db, email=VICTIM, with_two_factor=False)
    for _ in range(5):
        assert client.get("/login").status_code == 200
    assert _login_from(client, "198.51.100.1", VICTIM, ADMIN_PASSWORD).status_code == 303


def test_the_address_appears_neither_in_the_limiters_redis_keys_nor_in_the_log(
    app, client, db, caplog
):
    shared = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BASE_URL")
    twin = create_app({key: app.config[key] for key in shared})
    twin.test_client_class = type(client)
    twin.config["RATE_LIMIT_LOGIN_ACCOUNT"] = "1 per minute"
    make_admin(db, email=VICTIM, with_two_factor=False)
    browser = twin.test_client()
    try:
        with caplog.at_level(logging.DEBUG):
            codes = [_login_from(browser, f"198.51.100.{n}", VICTIM).status_code for n in (1, 2)]
        assert codes == [422, 429]
        store = redis.Redis.from_url(twin.config["REDIS_URL"])
        keys = [key.decode() for key in store.scan_iter()]
        store.close()
    finally:
        twin.extensions["certmatch.engine"].dispose()
    assert any("login-account" in key for key in keys), keys
    assert not any("boss" in key.lower() for key in keys), keys
    assert "boss@" not in caplog.text.lower()

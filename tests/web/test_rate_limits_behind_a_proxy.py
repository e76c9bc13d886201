"""Behind TRUSTED_PROXIES proxies each client has a bucket; with none the header is ignored."""

import pytest
from flask import request

from matcher import create_app
from matcher.config import ConfigError, load_config
from tests.auth_helpers import make_admin
from tests.page_helpers import csrf_token

PROXY = "10.0.0.2"
ADDRESS = "boss@certmatch.example"
WRONG = "not the password at all"


@pytest.fixture
def proxied_app(app, client):
    """The test app's twin as deployed behind one TLS proxy."""
    shared = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BASE_URL", "RATELIMIT_STORAGE_URI")
    twin = create_app({**{key: app.config[key] for key in shared}, "TRUSTED_PROXIES": 1})
    twin.test_client_class = type(client)
    twin.config["RATE_LIMIT_LOGIN"] = "3 per minute"
    yield twin
    twin.extensions["certmatch.engine"].dispose()


def _logins(client, forwarded_for: list[str], *, remote: str = PROXY) -> list[int]:
    """One wrong login per X-Forwarded-For value, all arriving from `remote`; their codes."""
    token = csrf_token(client, "/login")
    return [
        client.post(
            "/login",
            data={"email": ADDRESS, "password": WRONG, "csrf_token": token},
            headers={"X-Forwarded-For": value},
            environ_base={"REMOTE_ADDR": remote},
        ).status_code
        for value in forwarded_for
    ]


def test_behind_one_proxy_two_clients_get_a_bucket_each(proxied_app, db):
    make_admin(db, email=ADDRESS)
    first, second = proxied_app.test_client(), proxied_app.test_client()
    assert _logins(first, ["203.0.113.5"] * 4) == [422, 422, 422, 429]
    assert _logins(second, ["203.0.113.6"]) == [422]


def test_behind_one_proxy_what_the_client_adds_to_the_header_changes_nothing(proxied_app, db):
    make_admin(db, email=ADDRESS)
    client = proxied_app.test_client()
    # The proxy appends the address it saw; anything left of it came from the client.
    spoofed = [f"198.51.100.{n}, 203.0.113.5" for n in range(1, 5)]
    assert _logins(client, spoofed) == [422, 422, 422, 429]


def test_behind_one_proxy_the_request_has_the_clients_address_and_scheme(proxied_app):
    seen = {}
    proxied_app.before_request(
        lambda: seen.update(scheme=request.scheme, address=request.remote_addr)
    )
    proxied_app.test_client().get(
        "/healthz",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert seen == {"scheme": "https", "address": "203.0.113.5"}


def test_without_trusted_proxies_a_forged_header_gets_no_fresh_bucket(app, client, db):
    app.config["RATE_LIMIT_LOGIN"] = "3 per minute"
    make_admin(db, email=ADDRESS)
    forged = [f"198.51.100.{n}" for n in range(1, 5)]
    assert _logins(client, forged, remote="203.0.113.9") == [422, 422, 422, 429]


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11"])
def test_a_trusted_proxies_setting_out_of_bounds_stops_the_start_up(monkeypatch, tmp_path, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match=r"^TRUSTED_PROXIES must be "):
        load_config(str(tmp_path))


def test_trusted_proxies_defaults_to_none(monkeypatch, tmp_path):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "0")
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 0

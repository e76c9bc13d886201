"""Where login sends you afterwards: only a path on this site, never another host."""

import pytest

from matcher.models import ProviderStatus
from tests.auth_helpers import (
    PROVIDER_PASSWORD,
    csrf_token,
    enrol_two_factor,
    enter_code,
    make_provider_user,
    unused_code,
)
from tests.provider_factories import make_provider

# What a browser would do with each after Werkzeug wrote it into Location: leave the site.
HOSTILE = [
    "/%09/evil.example/x",
    "/%0a/evil.example/x",
    "/%0d/evil.example/x",
    "/%2Fevil.example/x",
    "//evil.example/x",
    "/%5C%5Cevil.example/x",
    "/%5Cevil.example/x",
    "https://evil.example/x",
    "https:evil.example",
    "/%E2%80%8B/evil.example",
    "javascript:alert(1)",
]


def provider_email(db, *, two_factor: bool = False) -> tuple[str, str | None]:
    """A verified provider's login e-mail, and its TOTP secret when it has two-factor."""
    provider = make_provider(db, status=ProviderStatus.VERIFIED)
    user = make_provider_user(db, provider)
    secret = enrol_two_factor(db, user) if two_factor else None
    return provider.email, secret


def login_with_next(client, email: str, next_query: str):
    """POST the login form to /login?next=<next_query> (already percent-encoded)."""
    token = csrf_token(client, "/login")
    return client.post(
        f"/login?next={next_query}",
        data={"email": email, "password": PROVIDER_PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_off_site(client, db, target):
    email, _ = provider_email(db)
    response = login_with_next(client, email, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/provider/"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_code_step_never_redirects_off_site(app, client, db, target):
    email, _ = provider_email(db, two_factor=True)
    assert login_with_next(client, email, target).headers["Location"].endswith("/login/two-factor")
    done = enter_code(client, unused_code(app, email))
    assert done.status_code == 303
    assert done.headers["Location"] == "/provider/"


def test_a_path_on_this_site_is_kept_through_both_steps(app, client, db):
    email, _ = provider_email(db, two_factor=True)
    login_with_next(client, email, "/provider/leads/3")
    done = enter_code(client, unused_code(app, email))
    assert done.headers["Location"] == "/provider/leads/3"


def test_a_path_with_a_query_is_kept_without_two_factor(client, db):
    email, _ = provider_email(db)
    response = login_with_next(client, email, "/provider/leads/3%3Ftab%3Dquote")
    assert response.headers["Location"] == "/provider/leads/3?tab=quote"

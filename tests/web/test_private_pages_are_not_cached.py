"""Private pages answer Cache-Control: no-store; public pages and static files may be cached."""

import io

import pytest

from matcher.links import request_token
from matcher.providers.evidence import store_evidence
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    login,
    make_admin,
    make_provider_user,
)
from tests.factories import make_request
from tests.provider_factories import make_provider

PRIVATE_PREFIXES = ("/r/", "/provider", "/admin", "/login", "/password", "/account", "/dev/")
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def real_ids(app, db, tmp_path) -> dict:
    """Ids and a token of real rows, so the walk reaches real pages, downloads included."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    provider = make_provider(db)
    make_provider_user(db, provider)
    make_admin(db)
    evidence = store_evidence(
        db, provider, kind="insurance", filename="i.pdf", stream=io.BytesIO(PDF)
    )
    quote_request = make_request(db)
    db.commit()
    return {
        "provider_id": provider.id,
        "evidence_id": evidence.id,
        "request_id": quote_request.id,
        "token": request_token(quote_request.public_id),
        "email": provider.email,
    }


def private_get_urls(app, values: dict) -> list[str]:
    """Every GET route under a private prefix, built with real ids where there are some."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith(PRIVATE_PREFIXES):
            urls.append(rule.build({arg: values.get(arg, 1) for arg in rule.arguments})[1])
    assert len(urls) > 20
    return sorted(urls)


def assert_walk_is_not_cached(client, urls: list[str]) -> set[int]:
    statuses = set()
    for url in urls:
        with client.get(url) as response:
            assert response.status_code < 500, url
            assert response.headers.get("Cache-Control") == "no-store", url
            statuses.add(response.status_code)
    return statuses


def test_every_private_page_is_no_store_for_anyone(app, real_ids):
    urls = private_get_urls(app, real_ids)
    assert 200 in assert_walk_is_not_cached(app.test_client(), urls)

    admin = app.test_client()
    assert login(admin, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    admin_urls = [url for url in urls if url.startswith("/admin")]
    assert assert_walk_is_not_cached(admin, admin_urls) == {200}

    provider = app.test_client()
    assert login(provider, real_ids["email"], PROVIDER_PASSWORD).status_code == 303
    assert 200 in assert_walk_is_not_cached(provider, urls)


def test_a_businesss_request_page_and_a_download_are_no_store(app, client, real_ids):
    with client.get(f"/r/{real_ids['token']}") as page:
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
    admin = app.test_client()
    login(admin, "admin@certmatch.example", ADMIN_PASSWORD)
    url = f"/admin/providers/{real_ids['provider_id']}/evidence/{real_ids['evidence_id']}"
    with admin.get(url) as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Cache-Control"] == "no-store"


def test_a_response_that_sets_a_cookie_is_no_store(client):
    with client.get("/quote") as form:
        assert "Set-Cookie" in form.headers
        assert form.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_may_be_cached(app, client, real_ids):
    with client.get("/") as landing:
        assert "no-store" not in landing.headers.get("Cache-Control", "")
    with client.get("/static/app.css") as css:
        assert css.status_code == 200
        assert "no-store" not in css.headers.get("Cache-Control", "")
    admin = app.test_client()
    login(admin, "admin@certmatch.example", ADMIN_PASSWORD)
    with admin.get("/static/app.css") as css:
        assert css.status_code == 200
        assert "no-store" not in css.headers.get("Cache-Control", "")

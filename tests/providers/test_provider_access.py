"""Who may open which provider and admin page."""

import io

import pytest
from werkzeug.routing import IntegerConverter

from matcher.models import ProviderKind, ProviderStatus
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    csrf_token,
    login,
    make_admin,
    make_provider_user,
)
from tests.provider_factories import make_provider

PUBLIC_PROVIDER_PAGES = {"provider.join", "provider.join_sent", "provider.confirm"}
PDF = b"%PDF-1.4\n%%EOF\n"


def guarded_rules(app, prefix: str):
    """(method, url) for every route under `prefix` that needs a login, ids set to 1."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.endpoint in PUBLIC_PROVIDER_PAGES:
            continue
        values = {
            arg: 1 if isinstance(rule._converters.get(arg), IntegerConverter) else "x"
            for arg in rule.arguments
        }
        url = rule.build(values)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((method, url))
    assert found, prefix
    return sorted(found)


def request_page(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client, "/password/reset")})


@pytest.mark.parametrize("prefix", ["/provider", "/admin"])
def test_anonymous_visitors_are_sent_to_login_from_every_guarded_page(app, client, prefix):
    for method, url in guarded_rules(app, prefix):
        response = request_page(client, method, url)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"], (method, url)


def test_a_provider_gets_403_on_every_admin_page(app, client, db):
    provider = make_provider(db)
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    for method, url in guarded_rules(app, "/admin"):
        assert request_page(client, method, url).status_code == 403, (method, url)


def test_an_admin_gets_403_on_provider_pages(client, db):
    make_admin(db)
    login(client, "admin@certmatch.example", ADMIN_PASSWORD)
    for url in ("/provider/", "/provider/profile", "/provider/review"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("status", [ProviderStatus.PENDING, ProviderStatus.SUSPENDED])
def test_a_provider_not_verified_reaches_nothing_but_the_review_page(app, client, db, status):
    provider = make_provider(db, status=status)
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    review = client.get("/provider/review")
    assert review.status_code == 200
    for method, url in guarded_rules(app, "/provider"):
        if url.startswith(("/provider/review", "/provider/evidence")):
            continue
        response = request_page(client, method, url)
        assert response.status_code == 303, (method, url)
        assert response.headers["Location"].endswith("/provider/review"), (method, url)
    text = client.get("/provider/", follow_redirects=True).get_data(as_text=True)
    assert ("under review" if status == ProviderStatus.PENDING else "suspended") in text
    assert "Lead inbox" not in text


def test_a_provider_cannot_download_another_providers_evidence(app, client, db, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    owner = make_provider(db, kind=ProviderKind.CERTIFICATION_BODY)
    other = make_provider(db, kind=ProviderKind.CONSULTANT)
    make_provider_user(db, owner)
    make_provider_user(db, other)
    login(client, owner.email, PROVIDER_PASSWORD)
    token = csrf_token(client, "/provider/profile")
    upload = client.post(
        "/provider/evidence",
        data={
            "csrf_token": token,
            "kind": "accreditation_certificate",
            "file": (io.BytesIO(PDF), "cert.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303
    from sqlmodel import select

    from matcher.models import EvidenceFile

    db.commit()
    evidence = db.exec(select(EvidenceFile)).one()
    with client.get(f"/provider/evidence/{evidence.id}") as mine:
        assert mine.status_code == 200
        assert mine.data == PDF
    client.post("/logout", data={"csrf_token": csrf_token(client, "/provider/profile")})
    login(client, other.email, PROVIDER_PASSWORD)
    assert client.get(f"/provider/evidence/{evidence.id}").status_code == 404
    assert client.get(f"/admin/providers/{owner.id}/evidence/{evidence.id}").status_code == 403


def test_an_admin_downloads_any_providers_evidence_but_not_under_the_wrong_provider(
    app, client, db, tmp_path
):
    from matcher.providers.evidence import store_evidence

    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    owner = make_provider(db)
    other = make_provider(db)
    evidence = store_evidence(db, owner, kind="insurance", filename="i.pdf", stream=io.BytesIO(PDF))
    db.commit()
    make_admin(db)
    login(client, "admin@certmatch.example", ADMIN_PASSWORD)
    with client.get(f"/admin/providers/{owner.id}/evidence/{evidence.id}") as ok:
        assert ok.status_code == 200 and ok.data == PDF
    assert client.get(f"/admin/providers/{other.id}/evidence/{evidence.id}").status_code == 404

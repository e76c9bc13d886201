"""Ids and page numbers no database column can hold answer 404 or 400 on every route, never 500."""

import pytest
from werkzeug.routing import IntegerConverter

from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    csrf_token,
    login,
    make_admin,
    make_provider_user,
)
from tests.factories import make_request
from tests.lead_helpers import request_path
from tests.provider_factories import make_provider

# Past PostgreSQL's bigint, past its integer, below zero, and zero.
BAD_IDS = ("99999999999999999999", "2147483648", "-1", "0")
BAD_PAGES = ("922337203685477580", "-3", "abc")
PAGED = ("/admin/providers", "/admin/mail", "/admin/requests", "/admin/requests/stalled")


def _int_args(rule) -> list[str]:
    return sorted(a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter))


def _urls(rule, token_path: str) -> list[str]:
    """The rule's path with each int argument set to each bad value, then with bad pages."""
    fixed = {"token": token_path.removeprefix("/r/"), "filename": "app.css"}
    ints = _int_args(rule)

    def build(**ids) -> str:
        path = rule.rule
        for name in rule.arguments:
            value = ids.get(name, fixed.get(name, "1"))
            path = path.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
            path = path.replace(f"<path:{name}>", value)
        return path

    urls = [build(**{name: bad}) for name in ints for bad in BAD_IDS]
    return urls + [f"{build()}?page={page}" for page in BAD_PAGES]


def _walk(app, client, token_path: str) -> list[tuple]:
    """Request every route (GET and POST where allowed, logout last); return the 5xx answers."""
    token = csrf_token(client, "/password/reset")
    failures = []
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    for rule in rules:
        for method in sorted({"GET", "POST"} & rule.methods):
            for url in _urls(rule, token_path):
                data = {"csrf_token": token} if method == "POST" else None
                try:
                    with client.open(url, method=method, data=data) as response:
                        status = response.status_code
                except Exception as exc:  # noqa: BLE001  testing mode raises what would be a 500
                    status = repr(exc)[:80]
                if not isinstance(status, int) or status >= 500:
                    failures.append((method, url, status))
    return failures


@pytest.fixture
def business_page(app, db) -> str:
    return request_path(app, make_request(db))


def test_every_route_answers_out_of_range_numbers_without_a_server_error(app, db, business_page):
    make_admin(db)
    provider = make_provider(db)
    make_provider_user(db, provider)
    admin, member, anonymous = app.test_client(), app.test_client(), app.test_client()
    assert login(admin, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    assert login(member, provider.email, PROVIDER_PASSWORD).status_code == 303
    failures = [f for c in (admin, member, anonymous) for f in _walk(app, c, business_page)]
    assert failures == [], "\n".join(map(str, failures))


def test_ids_beyond_a_database_integer_are_not_found(app, client, db, business_page):
    provider = make_provider(db)
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    token = csrf_token(client, "/provider/")
    assert client.get("/provider/leads/99999999999999999999").status_code == 404
    assert client.get("/provider/leads/2147483648").status_code == 404
    accept = f"{business_page}/quotes/2147483648/accept"
    assert client.post(accept, data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("path", PAGED)
def test_a_page_number_that_is_no_page_is_refused(client, db, path):
    make_admin(db)
    login(client, "admin@certmatch.example", ADMIN_PASSWORD)
    assert client.get(f"{path}?page=2").status_code == 200
    assert client.get(f"{path}?page=922337203685477580").status_code == 404
    assert client.get(f"{path}?page=2147483648").status_code == 404
    assert client.get(f"{path}?page=-3").status_code == 404
    assert client.get(f"{path}?page=0").status_code == 404
    assert client.get(f"{path}?page=abc").status_code == 400

"""A refused form tells assistive technology what is wrong and where: every form, one way.

No attribute reads "None"; each invalid input is aria-invalid and described by its errors; an
error summary at the top of the form links to each field.
"""

from html.parser import HTMLParser

from matcher.models import ProviderKind, ProviderStatus
from tests.auth_helpers import ADMIN_PASSWORD, login, make_admin, post_form
from tests.lead_helpers import cbs, login_as, matched_request
from tests.profile_helpers import logged_in, profile_form
from tests.provider_factories import make_provider

FIELDS = ("input", "select", "textarea")


class _Page(HTMLParser):
    """Elements by id with their text, and the attributes of every tag."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.text, self.summary_links = [], {}, []
        self._open, self._in_error, self._in_summary = [], [], 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.tags.append((tag, attrs, bool(self._in_error)))
        if attrs.get("id"):
            self.text[attrs["id"]] = ""
        if "data-error-summary" in attrs:
            self._in_summary = len(self._open) + 1
        if self._in_summary and tag == "a":
            self.summary_links.append(attrs["href"])
        if tag in ("input", "br", "img", "meta", "link"):
            return
        self._open.append((tag, attrs.get("id"), "has-error" in classes))
        if "has-error" in classes:
            self._in_error.append(len(self._open))

    def handle_endtag(self, tag):
        if tag in ("input", "br", "img", "meta", "link") or not self._open:
            return
        if self._in_error and self._in_error[-1] == len(self._open):
            self._in_error.pop()
        if self._in_summary == len(self._open):
            self._in_summary = 0
        self._open.pop()

    def handle_data(self, data):
        for _tag, element_id, _ in self._open:
            if element_id:
                self.text[element_id] += data


def assert_errors_are_linked(response):
    """Check one refused page: no "None", invalid inputs described, the summary's links land."""
    assert response.status_code in (200, 400, 409, 422), response.status_code
    page = _Page(response.get_data(as_text=True))
    nones = [(tag, name) for tag, attrs, _ in page.tags for name, v in attrs.items() if v == "None"]
    assert nones == []
    invalid = [attrs for tag, attrs, in_error in page.tags if tag in FIELDS and in_error]
    visible = [a for a in invalid if a.get("type") not in ("hidden", "submit")]
    assert visible, "the page shows no refused field"
    for attrs in visible:
        assert attrs.get("aria-invalid") == "true", attrs
        described = attrs.get("aria-describedby", "").split()
        assert described and all(i in page.text for i in described), attrs
        assert any(i.endswith("-error") and page.text[i].strip() for i in described), attrs
    assert page.summary_links, "no error summary"
    for href in page.summary_links:
        assert href.startswith("#") and href[1:] in page.text, href
    return page


def test_the_request_form_links_its_errors(client):
    page = assert_errors_are_linked(post_form(client, "/quote", {}))
    assert "#email" in page.summary_links and "#standards" in page.summary_links


def test_the_join_form_links_its_errors(client):
    assert_errors_are_linked(post_form(client, "/provider/join", {"kind": "consultant"}))


def test_the_login_and_password_reset_forms_link_their_errors(client):
    assert_errors_are_linked(post_form(client, "/login", {"email": "not an address"}))
    assert_errors_are_linked(post_form(client, "/password/reset", {"email": "nope"}))


def test_the_profile_form_links_its_errors_in_the_price_bands_too(client, db):
    logged_in(client, db, make_provider(db, kind=ProviderKind.CONSULTANT))
    data = profile_form(client, db, monthly_cap="0", **{"packages-0-min_employees": "x"})
    page = assert_errors_are_linked(client.post("/provider/profile", data=data))
    assert {"#monthly_cap", "#packages-0-min_employees"} <= set(page.summary_links)


def test_the_quote_and_decline_forms_of_a_lead_link_their_errors(client, db):
    (cb,) = cbs(db, 1)
    _, (offer,) = matched_request(db, [cb])
    login_as(client, db, cb)
    path = f"/provider/leads/{offer.id}"
    data = {"stage1_days": "-1", "day_rate": "lots"}
    assert_errors_are_linked(post_form(client, f"{path}/quote", data, token_from=path))


def test_the_admins_decision_form_links_its_errors(client, db):
    provider = make_provider(db, status=ProviderStatus.PENDING)
    make_admin(db)
    assert login(client, "admin@certmatch.example", ADMIN_PASSWORD).status_code == 303
    path = f"/admin/providers/{provider.id}"
    data = {"action": "reject", "reason": ""}
    assert_errors_are_linked(post_form(client, f"{path}/decision", data, token_from=path))

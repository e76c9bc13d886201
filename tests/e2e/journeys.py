"""What people do in the browser, step by step: fill the request form, sign in, read mail."""

import re
import time

from tests.auth_helpers import code_at

PHONE_WIDTH = 390
SITE_LINK = re.compile(r"http://certmatch\.test(/[^\s\"<>]+)")


def fill_request_form(page, *, notes: str = "", consent: bool = True) -> None:
    """Fill the request form as Ann of Acme Widgets does: ISO 9001 certification, 45 people."""
    page.fill("#company_name", "Acme Widgets Ltd")
    page.fill("#contact_name", "Ann Smith")
    page.fill("#email", "ann@acme.example")
    page.fill("#phone", "020 7946 0958")
    page.select_option("#country", "GB")
    page.fill("#region", "Yorkshire")
    page.select_option("#sector", "17")
    page.fill("#employees", "45")
    page.check("input[name=standards][value=iso9001]")
    page.check("input[name=service][value=certification]")
    page.check("input[name=certification_status][value=new]")
    page.select_option("#timeline", "3_months")
    page.fill("#notes", notes)
    if consent:
        page.check("#consent")


def sign_in(page, base_url: str, email: str, password: str, *, secret: str | None = None):
    """Log in through /login; with `secret`, type the code an authenticator app shows."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    if secret is not None:
        page.wait_for_url("**/login/two-factor")
        page.fill("#code", code_at(secret))
        page.get_by_role("button", name="Log in").click()


def main_text(page) -> str:
    """The text a user reads on the page (the main column, without the site header)."""
    return page.inner_text("main")


def page_width(page) -> int:
    """How wide the page's content is: more than the viewport means sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


def mail_to(sink, address: str, subject_part: str, timeout: float = 10.0):
    """The first mail to `address` whose subject contains `subject_part` (waits for it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in sink.to(address) if subject_part in m["Subject"]]
        if found or time.monotonic() > deadline:
            assert found, f"no mail to {address} about {subject_part!r}: {_subjects(sink)}"
            return found[0]
        time.sleep(0.05)


def _subjects(sink) -> list[tuple[str, str]]:
    return [(m["To"], m["Subject"]) for m in sink.messages]


def body_of(message) -> str:
    """The plain-text body of a received mail."""
    return message.get_body(("plain",)).get_content()


def link_in(message) -> str:
    """The path of the first CertMatch link in a received mail (the test site has its own host)."""
    match = SITE_LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)

"""Helpers for driving forms through the test client like a browser does."""

import re

_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """GET `url` and return the CSRF token of its first form."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def submit(client, url: str, data: dict, *, form_url: str | None = None):
    """POST `data` to `url` with the CSRF token from `form_url` (default: the same page)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token})


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered next to one field."""
    block = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


LINK = re.compile(r"http://certmatch\.test(/r/[A-Za-z0-9._\-]+)")


def request_link(message) -> str:
    """The /r/<token> path in a received e-mail."""
    body = message.get_body(("plain",)).get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)

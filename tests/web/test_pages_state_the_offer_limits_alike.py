"""The landing page and the form's consent box state the same limits on offers."""

import re

from matcher.matching import MAX_OPEN_OFFERS, MAX_PROVIDERS_PER_REQUEST

LIMITS = "at most three providers at a time and six in all"


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_landing_page_and_consent_box_state_the_same_offer_limits(client):
    assert (MAX_OPEN_OFFERS, MAX_PROVIDERS_PER_REQUEST) == (3, 6)
    landing, form = _text(client.get("/")), _text(client.get("/quote"))
    assert LIMITS in landing
    assert LIMITS in form
    assert "up to six" not in form

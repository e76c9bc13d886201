"""An admin signs in with two-factor, reads why a request went to whom, and re-runs matching."""

from urllib.parse import urlsplit

import pytest

from matcher.leads import offers
from matcher.matching import WEIGHTS
from tests.auth_helpers import ADMIN_PASSWORD, enrol_two_factor, make_admin
from tests.e2e.journeys import body_of, mail_to, main_text, sign_in
from tests.lead_helpers import act, consultant
from tests.market import confirmed_request
from tests.provider_factories import make_provider

pytestmark = pytest.mark.e2e

ADMIN = "admin@certmatch.example"


def _matched_request(app, db) -> int:
    """Two fitting CBs (one local to Yorkshire), two that fail a filter; matched; return its id."""
    make_provider(db, name="Northern Certification Ltd", country="GB", region="Yorkshire")
    make_provider(db, name="Pennine Assurance Ltd", country="GB", region="Lancashire")
    make_provider(db, name="Dublin Certification", countries=("IE",))
    consultant(db, name="Quality Partners")
    request_id = confirmed_request(db).id
    act(app, offers.match_request, request_id=request_id)
    return request_id


def _candidate_row(page, name: str) -> dict[str, float]:
    """One candidate's score and breakdown as the admin reads them in the run's table."""
    row = page.locator(".card table tbody tr", has_text=name).first
    cells = row.locator("td").all_inner_texts()
    # Columns: rank, candidate, score, one per weight, outcome.
    parts = dict(zip(WEIGHTS, (float(c) for c in cells[3 : 3 + len(WEIGHTS)]), strict=True))
    return {"score": float(cells[2]), **parts, "outcome": cells[-1]}


def test_an_admin_sees_why_each_provider_was_offered_and_re_runs_matching(
    app, live_server, desktop, db, jobs, smtp_sink
):
    request_id = _matched_request(app, db)
    admin = make_admin(db, ADMIN, with_two_factor=False)
    secret = enrol_two_factor(db, admin)
    page = desktop()

    # The password alone is not enough for an admin: the code step comes first.
    sign_in(page, live_server, ADMIN, ADMIN_PASSWORD)
    page.wait_for_url("**/login/two-factor")
    page.goto(f"{live_server}/admin/requests/{request_id}")
    assert urlsplit(page.url).path == "/login", "an admin page without the code"
    sign_in(page, live_server, ADMIN, ADMIN_PASSWORD, secret=secret)
    page.wait_for_url("**/admin/")

    page.goto(f"{live_server}/admin/requests/{request_id}")
    text = main_text(page)
    assert "Acme Widgets Ltd" in text  # admins see the business
    assert "2 providers passed every hard filter" in text
    removed = dict(
        tuple(row.split("\t"))
        for row in page.locator("table:has(th:text('Hard filter')) tbody tr").all_inner_texts()
    )
    assert removed["does not serve the country"] == "1"
    assert removed["kind does not fit the service asked"] == "1"
    assert sum(int(count) for count in removed.values()) == 2

    local = _candidate_row(page, "Northern Certification Ltd")
    remote = _candidate_row(page, "Pennine Assurance Ltd")
    assert local["locality"] > remote["locality"], "same region beats same country"
    for candidate in (local, remote):
        assert candidate["outcome"] == "offered"
        parts = sum(candidate[part] for part in WEIGHTS)
        assert abs(candidate["score"] - parts) <= 0.1 * len(WEIGHTS)
    assert "Dublin Certification" not in text and "Quality Partners" not in text

    # A CB verified after the match: re-running matching offers it the free slot.
    make_provider(db, name="Ridings Audit Services", email="office@ridings.example")
    page.get_by_role("button", name="Re-run matching").click()
    page.wait_for_selector("text=1 new provider invited.")
    runs = page.locator("h3", has_text="· admin ·")
    assert runs.count() == 1 and "1 offered" in runs.inner_text()
    offered = page.locator("table:has(th:text('Answer by')) tbody").inner_text()
    assert "Ridings Audit Services" in offered

    jobs()
    mail_to(smtp_sink, "office@ridings.example", "New lead")
    rematched = mail_to(smtp_sink, "ann@acme.example", "A new verified provider is preparing")
    assert "Ridings Audit Services" in body_of(rematched)

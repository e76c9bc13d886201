"""Admin request pages: the unmatched queue, why providers were chosen, re-run matching."""

import re

from sqlmodel import func, select

from matcher.models import LeadOffer, MatchRun, OfferStatus
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    csrf_token,
    login,
    make_admin,
    make_provider_user,
)
from tests.market import confirmed_request, fresh, make_cb
from workers.matching import match_request


def admin_client(client, db):
    admin = make_admin(db)
    assert login(client, admin.email, ADMIN_PASSWORD).status_code == 303
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_request_pages_are_for_admins_only(client, db):
    request_id = confirmed_request(db).id
    paths = ["/admin/requests", f"/admin/requests/{request_id}"]
    for path in paths:
        assert client.get(path).status_code == 302
    token = csrf_token(client, "/login")
    rematch = f"/admin/requests/{request_id}/rematch"
    assert client.post(rematch, data={"csrf_token": token}).status_code == 302
    provider = make_cb(db)
    make_provider_user(db, provider)
    assert login(client, provider.email, PROVIDER_PASSWORD).status_code == 303
    for path in paths:
        assert client.get(path).status_code == 403
    token = csrf_token(client, "/provider/")
    assert client.post(rematch, data={"csrf_token": token}).status_code == 403
    fresh(db)
    assert db.exec(select(func.count()).select_from(LeadOffer)).one() == 0


def test_the_unmatched_queue_lists_the_requests_nobody_fits(client, db):
    make_cb(db, countries=("GB",))
    nobody = confirmed_request(db, company_name="Lonely Ltd", country="FR").id
    matched = confirmed_request(db, company_name="Happy Ltd").id
    fresh(db)
    match_request(nobody)
    match_request(matched)
    page = admin_client(client, db).get("/admin/requests").get_data(as_text=True)
    assert "Lonely Ltd" in page
    assert "Happy Ltd" not in page
    everything = client.get("/admin/requests?queue=all").get_data(as_text=True)
    assert "Lonely Ltd" in everything and "Happy Ltd" in everything


def test_the_request_page_shows_each_candidate_score_breakdown_and_what_each_filter_removed(
    client, db
):
    chosen = make_cb(db, name="Northern Audits")
    make_cb(db, name="Far Away Certification", countries=("FR",))
    request_id = confirmed_request(db).id
    fresh(db)
    match_request(request_id)
    page = admin_client(client, db).get(f"/admin/requests/{request_id}").get_data(as_text=True)
    assert "Northern Audits" in page
    assert "Far Away Certification" not in page
    assert re.search(r"does not serve the country</td><td>1</td>", page)
    run = db.exec(select(MatchRun).where(MatchRun.request_id == request_id)).one()
    (candidate,) = run.candidates
    assert candidate["provider_id"] == chosen.id
    assert f"<strong>{candidate['score']}</strong>" in page
    for points in candidate["breakdown"].values():
        assert f"<td>{points}</td>" in page
    assert "offered</span>" in page


def test_re_run_matching_offers_only_new_providers_within_the_limits(client, db):
    first = make_cb(db)
    request_id = confirmed_request(db).id
    fresh(db)
    match_request(request_id)
    later = make_cb(db)
    admin_client(client, db)
    page = client.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    response = client.post(f"/admin/requests/{request_id}/rematch", data={"csrf_token": csrf(page)})
    assert response.status_code == 303
    fresh(db)
    offered = db.exec(select(LeadOffer.provider_id).where(LeadOffer.request_id == request_id))
    assert sorted(offered.all()) == [first.id, later.id]
    assert "1 new provider invited" in client.get(response.location).get_data(as_text=True)
    # Again: nobody new fits, nothing is offered twice.
    client.post(f"/admin/requests/{request_id}/rematch", data={"csrf_token": csrf(page)})
    fresh(db)
    count = db.exec(select(func.count()).select_from(LeadOffer)).one()
    assert count == 2
    assert db.exec(select(func.count()).select_from(MatchRun)).one() == 3


def test_re_run_matching_without_the_csrf_token_changes_nothing(client, db):
    make_cb(db)
    request_id = confirmed_request(db).id
    admin_client(client, db)
    assert client.post(f"/admin/requests/{request_id}/rematch").status_code == 400
    fresh(db)
    assert db.exec(select(func.count()).select_from(LeadOffer)).one() == 0


def test_re_run_matching_respects_three_open_offers(client, db):
    for _ in range(5):
        make_cb(db)
    request_id = confirmed_request(db).id
    fresh(db)
    match_request(request_id)
    admin_client(client, db)
    page = client.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    client.post(f"/admin/requests/{request_id}/rematch", data={"csrf_token": csrf(page)})
    fresh(db)
    found = db.exec(select(LeadOffer).where(LeadOffer.request_id == request_id)).all()
    assert len(found) == 3
    assert all(o.status == OfferStatus.OFFERED for o in found)


def test_an_unknown_request_is_404(client, db):
    admin_client(client, db)
    assert client.get("/admin/requests/999").status_code == 404

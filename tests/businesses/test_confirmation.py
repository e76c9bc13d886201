"""Confirming a request through its private link, and resending links."""

import subprocess
import sys

from sqlmodel import select

from matcher.models import OutboxJob, QuoteRequest
from matcher.queue import get_queue
from tests.factories import make_request, request_form
from tests.page_helpers import csrf_token, request_link, submit


def _request(db) -> QuoteRequest:
    """The only request, detached: reading it later opens no transaction (and no stale snapshot)."""
    db.expire_all()
    found = db.exec(select(QuoteRequest)).one()
    db.expunge(found)
    db.rollback()
    return found


def _worker_burst(app_env) -> None:
    """Run a real `certmatch worker --burst` process against this test's services."""
    result = subprocess.run(
        [sys.executable, "-m", "matcher.cli", "worker", "--burst"],
        env=app_env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def test_the_full_path_from_form_to_queued_matching(app, client, db, app_env, smtp_sink):
    assert submit(client, "/quote", request_form()).status_code == 303
    _worker_burst(app_env)
    (message,) = smtp_sink.wait_for(1)
    link = request_link(message)

    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my request" in page.get_data(as_text=True)
    assert _request(db).status == "pending_confirmation"

    token = csrf_token(client, link)
    confirmed = client.post(link, data={"csrf_token": token})
    assert confirmed.status_code == 303
    assert _request(db).status == "confirmed"
    assert "finding up to three verified providers" in client.get(link).get_data(as_text=True)

    again = client.post(link, data={"csrf_token": token})  # a double click
    assert again.status_code == 303
    request_id = _request(db).id
    jobs = [(j.func, j.args) for j in db.exec(select(OutboxJob)).all()]
    db.rollback()
    assert jobs == [("match_request", [request_id])]
    with app.app_context():
        assert get_queue("default").count == 1

    _worker_burst(app_env)
    db.expire_all()
    assert db.exec(select(OutboxJob.status)).one() == "done"


def test_a_get_on_the_link_never_confirms(client, db):
    quote_request = make_request(db)
    with client.application.app_context():
        from matcher.links import request_token

        token = request_token(quote_request.public_id)
    for _ in range(3):
        assert client.get(f"/r/{token}").status_code == 200
    assert _request(db).status == "pending_confirmation"


def test_a_confirm_post_without_csrf_changes_nothing(client, db):
    quote_request = make_request(db)
    with client.application.app_context():
        from matcher.links import request_token

        token = request_token(quote_request.public_id)
    assert client.post(f"/r/{token}").status_code == 400
    assert _request(db).status == "pending_confirmation"


def test_unknown_malformed_and_forged_tokens_get_a_plain_404(app, client, db):
    quote_request = make_request(db)
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("another-key", salt="certmatch.request-link").dumps(
        quote_request.public_id
    )
    for path in (
        "/r/nonsense",
        "/r/" + "a" * 500,
        f"/r/{quote_request.public_id}",  # the database alone does not make a working link
        f"/r/{forged}",
        "/r/%00",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)


def test_resend_mails_links_to_open_requests_and_answers_the_same_for_strangers(
    client, db, jobs, smtp_sink
):
    make_request(db, email="ann@acme.example", company_name="Acme One")
    make_request(db, email="ann@acme.example", company_name="Acme Two", status="confirmed")
    make_request(db, email="ann@acme.example", company_name="Old One", status="closed")

    known = submit(client, "/r/resend", {"email": "Ann@Acme.example"})
    stranger = submit(client, "/r/resend", {"email": "nobody@else.example"})
    assert known.status_code == stranger.status_code == 200

    def normalise(response) -> str:
        html = response.get_data(as_text=True)
        return html.replace("Ann@Acme.example", "X").replace("nobody@else.example", "X")

    assert normalise(known) == normalise(stranger)

    jobs()
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "ann@acme.example"
    body = message.get_body(("plain",)).get_content()
    assert "Acme One" in body and "Acme Two" in body and "Old One" not in body
    assert client.get(request_link(message)).status_code == 200


def test_resend_refuses_a_bad_address_with_a_field_error(client):
    response = submit(client, "/r/resend", {"email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in response.get_data(as_text=True)

"""The public request form: validation, CSRF, honeypot, duplicates, rate limit."""

import pytest
from sqlmodel import select

from matcher.models import OutboxMessage, QuoteRequest
from tests.factories import request_form
from tests.page_helpers import field_errors, request_link, submit


def _rows(db):
    db.expire_all()
    return db.exec(select(QuoteRequest)).all(), db.exec(select(OutboxMessage)).all()


def test_a_valid_request_is_stored_pending_with_its_confirmation_mail(client, db, jobs, smtp_sink):
    response = submit(client, "/quote", request_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/quote/thanks")
    requests, mails = _rows(db)
    assert [r.status for r in requests] == ["pending_confirmation"]
    assert requests[0].currency == "GBP"
    assert requests[0].phone == "+442079460958"
    assert [m.template for m in mails] == ["confirm_request"]
    jobs()
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "ann@acme.example"
    assert message["Message-ID"] == mails[0].message_id
    assert request_link(message).startswith("/r/")


def test_the_thank_you_page_says_what_happens_next(client):
    page = client.get("/quote/thanks").get_data(as_text=True)
    assert "check your e-mail" in page.lower()
    assert "What happens next" in page


BAD_VALUES = [
    ("company_name", "", "Tell us your company"),
    ("company_name", "x" * 201, "Field cannot be longer than 200 characters."),
    ("company_name", "Acme\x00Ltd", "characters we cannot accept"),
    ("contact_name", "", "Tell us who to address."),
    ("email", "", "We need an e-mail address"),
    ("email", "not-an-email", "Enter a valid e-mail address"),
    ("email", "a" * 250 + "@x.com", "Field cannot be longer than 254 characters."),
    ("phone", "12", "phone number"),
    ("phone", "+44 20 7946 09", "phone number"),
    ("country", "", "Choose your country."),
    ("country", "XX", "Not a valid choice"),
    ("region", "r" * 121, "Field cannot be longer than 120 characters."),
    ("sector", "", "Choose your sector."),
    ("sector", "40", "Not a valid choice"),
    ("sector", "abc", "Not a valid choice"),
    ("employees", "", "How many people work for you?"),
    ("employees", "-5", "between 1 and 1,000,000"),
    ("employees", "0", "between 1 and 1,000,000"),
    ("employees", "forty", "Not a valid integer value."),
    ("sites", "-1", "1 or more"),
    ("sites", "two", "Not a valid integer value."),
    ("standards", [], "Choose at least one standard."),
    ("standards", ["iso9999"], "not a valid choice"),
    ("service", "", "Choose what you need."),
    ("service", "everything", "Not a valid choice"),
    ("certification_status", "", "Tell us where you are."),
    ("timeline", "tomorrow", "Not a valid choice"),
    ("budget", "lots", "Not a valid integer value."),
    ("budget", "-10", "Enter a whole amount."),
    ("notes", "n" * 2001, "Field cannot be longer than 2000 characters."),
    ("notes", "call me\x00now", "characters we cannot accept"),
    ("consent", "", "Please agree"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_a_bad_value_gets_a_field_error_and_writes_nothing(client, db, field, value, message):
    data = request_form(**{field: value})
    if value == "" and field == "consent":
        data.pop("consent")
    response = submit(client, "/quote", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = " ".join(field_errors(html, field)).replace("&#39;", "'")
    assert message.lower() in errors.lower(), errors
    assert _rows(db) == ([], [])


def test_the_form_keeps_what_the_user_typed_after_an_error(client):
    response = submit(client, "/quote", request_form(employees="forty", region="Leeds"))
    html = response.get_data(as_text=True)
    assert 'value="Acme Widgets Ltd"' in html
    assert 'value="Leeds"' in html
    assert (
        'value="iso9001" checked' in html
        or 'checked id="standards-0"' in html
        or ('id="standards-0" name="standards" type="checkbox" value="iso9001"' in html)
    )


def test_a_post_without_a_csrf_token_is_refused_and_writes_nothing(client, db):
    response = client.post("/quote", data=request_form())
    assert response.status_code == 400
    assert _rows(db) == ([], [])


def test_a_filled_honeypot_looks_like_success_but_keeps_nothing(client, db, jobs, smtp_sink):
    response = submit(client, "/quote", request_form(website="http://spam.example"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/quote/thanks")
    jobs()
    assert _rows(db) == ([], [])
    assert smtp_sink.messages == []


def test_the_same_request_twice_within_minutes_is_one_request_and_one_mail(client, db):
    submit(client, "/quote", request_form())
    submit(client, "/quote", request_form(email="ANN@acme.example"))
    requests, mails = _rows(db)
    assert len(requests) == 1
    assert len(mails) == 1


def test_a_different_request_from_the_same_address_is_a_new_request(client, db):
    submit(client, "/quote", request_form())
    submit(client, "/quote", request_form(standards=["iso14001"]))
    requests, mails = _rows(db)
    assert len(requests) == 2
    assert len(mails) == 2


def test_oversized_posts_are_refused_without_a_500(client, db):
    long_notes = submit(client, "/quote", request_form(notes="x" * (300 * 1024)))
    assert long_notes.status_code == 422
    huge_body = submit(client, "/quote", request_form(notes="x" * (13 * 1024 * 1024)))
    assert huge_body.status_code == 413
    assert _rows(db) == ([], [])


def test_the_form_is_rate_limited_per_client(app, client, db):
    app.config["RATE_LIMIT_QUOTE"] = "2 per minute"
    statuses = [
        submit(client, "/quote", request_form(company_name=f"C{i}")).status_code for i in range(3)
    ]
    assert statuses == [303, 303, 429]
    requests, _ = _rows(db)
    assert len(requests) == 2


def test_a_registered_consultant_typed_by_name_is_linked(client, db):
    from matcher.models import Provider

    consultant = Provider(
        kind="consultant",
        name="Northern Quality Partners",
        email="nqp@example.com",
        status="verified",
    )
    db.add(consultant)
    db.commit()
    submit(client, "/quote", request_form(current_consultant="northern quality partners"))
    (quote_request,), _ = _rows(db)
    assert quote_request.current_consultant_id == consultant.id

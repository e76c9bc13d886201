"""Single-line fields refuse line breaks, control and bidi-override characters; text areas keep
their line breaks; and a name stored with a line break before this rule still gets its mail."""

import inspect

import pytest
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField, TextAreaField

from matcher.models import Provider, ProviderKind, QuoteRequest, User, utcnow
from matcher.quotes import answers
from tests.auth_helpers import PROVIDER_PASSWORD, login, make_provider_user
from tests.factories import request_form
from tests.lead_helpers import act, cb_figures, cbs, matched_request
from tests.page_helpers import field_errors, submit
from tests.provider_factories import make_provider
from tests.providers.test_provider_join import consultant_form, submit_join
from tests.providers.test_provider_profile import profile_data

INJECTION = "Acme\r\nBcc: x@y"
LINE_BREAKS = "Remove line breaks and control characters."
BIDI = "Remove the hidden text-direction characters."
CONTROLS = "Remove control characters."


def _count(db, model) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(model)).one()


def _errors(response, field: str) -> str:
    return " ".join(field_errors(response.get_data(as_text=True), field)).replace("&#39;", "'")


def test_joining_with_a_line_break_in_the_name_is_refused_and_saves_nothing(client, db):
    response = submit_join(client, consultant_form(name=INJECTION))
    assert response.status_code == 422
    assert LINE_BREAKS in _errors(response, "name")
    assert _count(db, Provider) == _count(db, User) == 0


def test_a_profile_name_with_a_line_break_is_refused_and_changes_nothing(client, db):
    provider = make_provider(db, kind=ProviderKind.CERTIFICATION_BODY, sectors=[17])
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    client.provider = provider
    before = db.get(Provider, provider.id).model_dump()
    response = client.post("/provider/profile", data=profile_data(client, db, name=INJECTION))
    assert response.status_code == 422
    assert LINE_BREAKS in _errors(response, "name")
    db.rollback()
    db.expire_all()
    assert db.get(Provider, provider.id).model_dump() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("company_name", INJECTION, LINE_BREAKS),
        ("contact_name", "Ann\nSmith", LINE_BREAKS),
        ("region", "Leeds\tWest", LINE_BREAKS),
        ("region", "Leeds\u2028West", LINE_BREAKS),
        ("current_consultant", "Acme\x85Consulting", LINE_BREAKS),
        ("current_consultant", "Acme\x7fConsulting", LINE_BREAKS),
        ("company_name", "Acme \u202egnp.exe", BIDI),
        ("region", "Leeds\u2066 West\u2069", BIDI),
        ("notes", "We make brackets \u202e and more", BIDI),
        ("notes", "We make brackets\x1b[31m", CONTROLS),
    ],
)
def test_the_request_form_refuses_hidden_characters_and_saves_nothing(
    client, db, field, value, message
):
    response = submit(client, "/quote", request_form(**{field: value}))
    assert response.status_code == 422
    assert message in _errors(response, field)
    assert _count(db, QuoteRequest) == 0


def test_notes_keep_their_line_breaks_and_tabs(client, db):
    notes = "Two sites:\r\n- Leeds\r\n- York\twith 10 people"
    assert submit(client, "/quote", request_form(notes=notes)).status_code == 303
    db.rollback()
    assert db.exec(select(QuoteRequest.notes)).one() == notes


def _form_classes():
    """Every form of the app: SafeForm's subclasses (creating the app imported them all)."""
    from matcher.web.forms import SafeForm

    found, todo = [], [SafeForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    found = [cls for cls in found if not cls.__name__.startswith("_")]
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def _leaves(fields):
    for field in fields:
        if isinstance(field, FieldList):
            yield from _leaves(field)
        elif isinstance(field, FormField):
            yield from _leaves(field.form)
        else:
            yield field


def _build(cls, formdata=None):
    options = {"meta": {"csrf": False}}
    if "kind" in inspect.signature(cls.__init__).parameters:
        options["kind"] = ProviderKind.CONSULTANT
    return cls(formdata=formdata, **options)


def test_every_text_field_of_every_form_refuses_a_line_break_or_a_bidi_override(app):
    classes = _form_classes()
    assert len(classes) >= 25
    checked = 0
    with app.test_request_context("/", method="POST"):
        for cls in classes:
            names = [field.name for field in _leaves(_build(cls))]
            for value, message in (("a\r\nb", LINE_BREAKS), ("a\u202eb", BIDI)):
                form = _build(cls, MultiDict({name: value for name in names}))
                form.validate()
                for field in _leaves(form):
                    if field.data != value:
                        continue  # not text (a number, a date, a file): refused on its own
                    if isinstance(field, TextAreaField) and message == LINE_BREAKS:
                        assert LINE_BREAKS not in field.errors, (cls, field.name)
                        continue
                    assert message in field.errors, (cls, field.name, field.errors)
                    checked += 1
    assert checked >= 60


def test_a_mail_naming_a_provider_stored_with_a_line_break_still_reaches_the_business(
    app, db, jobs, smtp_sink
):
    (provider,) = cbs(db, 1, name=INJECTION)
    _, (offer,) = matched_request(db, [provider], email="ann@acme.example")
    act(app, answers.submit_quote, offer_id=offer.id, provider_id=provider.id,
        figures=cb_figures(), now=utcnow())  # fmt: skip
    jobs()
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "ann@acme.example"
    assert message["Subject"] == "Acme Bcc: x@y sent you a firm quote"
    assert message["Bcc"] is None

"""A password spelled from the account's own e-mail address or name is refused everywhere."""

import csv
import io
from datetime import date

import pytest
from sqlmodel import func, select

from matcher.accounts.passwords import password_problem
from matcher.accounts.users import reset_token
from matcher.models import User
from matcher.providers.importing import parse_rows
from tests.auth_helpers import make_provider_user
from tests.page_helpers import field_errors, submit
from tests.provider_factories import make_provider
from tests.providers.test_import_providers import COLUMNS, cb_row, certmatch
from tests.providers.test_provider_join import consultant_form, submit_join

EMAIL = "ann.smith@acme-consulting.example"
OWN_DETAILS = ("ann.smith@acme-consulting", "acme-consulting", "annsmithacmeconsulting")
STRONG = "violet trombone quarry seventy"


def join_with(client, password: str, **fields):
    form = consultant_form(email=EMAIL, password=password, confirm=password, **fields)
    return submit_join(client, form)


def reset_with(client, app, user, password: str):
    with app.app_context():
        path = f"/password/reset/{reset_token(user)}"
    return submit(client, path, {"password": password, "confirm": password})


@pytest.mark.parametrize("password", OWN_DETAILS)
def test_joining_with_a_password_made_of_the_email_is_refused_on_the_field(client, password):
    response = join_with(client, password)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password")


def test_joining_with_a_password_made_of_the_organisations_name_is_refused(client):
    response = join_with(client, "Northwind Assurance 2024", name="Northwind Assurance")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password")


def test_joining_with_an_unrelated_passphrase_passes(client):
    assert join_with(client, STRONG).status_code == 303


@pytest.mark.parametrize("password", OWN_DETAILS)
def test_resetting_to_a_password_made_of_the_email_is_refused_on_the_field(
    app, client, db, password
):
    user = make_provider_user(db, make_provider(db), email=EMAIL)
    response = reset_with(client, app, user, password)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password")


def test_resetting_to_the_providers_own_name_is_refused(app, client, db):
    user = make_provider_user(db, make_provider(db, name="Northwind Assurance Partners"))
    response = reset_with(client, app, user, "northwind assurance partners")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password")


def test_resetting_to_an_unrelated_passphrase_passes(app, client, db):
    user = make_provider_user(db, make_provider(db), email=EMAIL)
    assert reset_with(client, app, user, STRONG).status_code == 303


def test_resetting_to_a_passphrase_longer_than_zxcvbn_reads_passes(app, client, db):
    user = make_provider_user(db, make_provider(db), email=EMAIL)
    assert reset_with(client, app, user, "correct horse battery staple " * 4).status_code == 303


def test_create_admin_refuses_a_password_made_of_the_address(app_env, db):
    result = certmatch(app_env, "create-admin", EMAIL, stdin="annsmithacmeconsulting\n")
    assert result.returncode == 1
    assert "password refused" in result.stderr
    db.commit()
    assert db.exec(select(func.count()).select_from(User)).one() == 0


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [
        (EMAIL, "NorthCert Ltd", "annsmithacmeconsulting"),
        ("cb@northcert.example", "Northwind Assurance Partners", "northwind assurance partners"),
    ],
)
def test_an_imported_password_made_of_the_address_or_name_is_a_bad_row(db, email, name, password):
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(cb_row(email=email, name=name, password=password))
    handle.seek(0)
    _, errors = parse_rows(db, handle, today=date.today())
    assert [e.line for e in errors] == [2]
    assert "password refused" in errors[0].reason


@pytest.mark.parametrize(
    "password",
    [*OWN_DETAILS, "Ann Smith Acme Consulting", "AnnSmith-AcmeConsulting", "acmeconsulting2024"],
)
def test_the_rules_refuse_any_spelling_of_the_address(password):
    assert password_problem(password, [EMAIL]) is not None


def test_a_passphrase_longer_than_zxcvbn_reads_is_judged_not_crashed_on():
    assert password_problem("correct horse battery staple " * 4, [EMAIL]) is None

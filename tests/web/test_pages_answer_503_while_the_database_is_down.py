"""While the database cannot be reached, pages answer 503 "try again in a minute", never a 500.

The outage is real: the app's engine points at a PostgreSQL port nothing listens on, as while
the server restarts. Any other database error is a bug, and stays a 500 that is logged.
"""

import sqlite3
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import func, select

from matcher.db import make_engine
from matcher.embedded_redis import free_port
from matcher.models import QuoteRequest
from tests.auth_helpers import PROVIDER_PASSWORD, login, make_provider_user
from tests.factories import make_request, request_form
from tests.lead_helpers import request_path
from tests.page_helpers import csrf_token
from tests.provider_factories import make_provider

TRY_AGAIN = "temporarily unavailable. Please try again in a minute."


@contextmanager
def database_down(app):
    """The app's database refuses every connection until the block ends."""
    engine = app.extensions["certmatch.engine"]
    app.extensions["certmatch.engine"] = make_engine(
        f"postgresql://certmatch@127.0.0.1:{free_port()}/certmatch"
    )
    try:
        yield
    finally:
        app.extensions["certmatch.engine"].dispose()
        app.extensions["certmatch.engine"] = engine


def test_a_business_page_asked_while_the_database_is_down_says_try_again_in_a_minute(
    app, client, db
):
    link = request_path(app, make_request(db))
    with database_down(app):
        response = client.get(link)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert TRY_AGAIN in response.get_data(as_text=True)
    assert client.get(link).status_code == 200, "back at once"


def test_an_api_client_gets_the_503_as_json(app, client, db):
    link = request_path(app, make_request(db))
    with database_down(app):
        response = client.get(link, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "Service Unavailable",
        "message": "CertMatch is " + TRY_AGAIN,
    }


def test_the_request_form_posted_while_the_database_is_down_answers_503_and_writes_nothing(
    app, client, db
):
    token = csrf_token(client, "/quote")
    with database_down(app):
        response = client.post("/quote", data={**request_form(), "csrf_token": token})
    assert response.status_code == 503
    db.rollback()
    assert db.exec(select(func.count()).select_from(QuoteRequest)).one() == 0


def test_a_logged_in_providers_page_answers_503_too(app, client, db):
    user = make_provider_user(db, make_provider(db))
    assert login(client, user.email, PROVIDER_PASSWORD).status_code == 303
    with database_down(app):
        response = client.get("/provider/")  # its user is loaded from the database first
    assert response.status_code == 503
    assert TRY_AGAIN in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InterfaceError("q", {}, psycopg.InterfaceError("gone"), connection_invalidated=True), 503),
        (InterfaceError("q", {}, psycopg.InterfaceError("the connection is closed")), 503),
        (OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("shutting down")), 503),
        (OperationalError("SELECT 1", {}, psycopg.errors.DeadlockDetected("deadlock")), 500),
        (OperationalError("SELECT 1", {}, psycopg.errors.QueryCanceled("timeout")), 500),
        (OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), 500),
    ],
    ids=[
        "connection lost",
        "connection closed",
        "server shutting down",
        "deadlock",
        "query cancelled",
        "sqlite",
    ],
)
def test_only_a_lost_or_refused_connection_is_a_503(app, error, status):
    def fails():
        raise error

    app.add_url_rule("/fails", "fails", fails)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error becomes a 500
    assert app.test_client().get("/fails").status_code == status

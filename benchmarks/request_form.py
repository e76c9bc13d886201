"""Benchmark: one POST of the request form, against a bare Flask-WTF form with one SQL insert.

    .venv/bin/python -m benchmarks.request_form [--requests 500]
        # SQLite; set DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test for PostgreSQL

Both apps run in this process through Flask's test client, so the figures are server time
(routing, CSRF, validation, the transaction) without network noise. The real form also writes
its outbox mail and tries to enqueue it; Redis is left unreachable here, as the enqueue happens
after the commit and is measured separately by the job benchmark.
"""

import argparse
import os
import re
import tempfile

os.environ.setdefault("CERTMATCH_TESTING", "1")

from flask import Flask  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from sqlalchemy import Column, Integer, MetaData, String, Table, insert  # noqa: E402
from wtforms import EmailField, StringField  # noqa: E402
from wtforms.validators import DataRequired, Email, Length  # noqa: E402

from benchmarks.common import machine, summary, throwaway_database, timed  # noqa: E402
from matcher import create_app  # noqa: E402
from matcher.db import make_engine  # noqa: E402
from matcher.embedded_redis import free_port  # noqa: E402
from matcher.migrations import upgrade  # noqa: E402
from tests.factories import request_form  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def bare_app(database_url: str) -> Flask:
    """The baseline: a Flask-WTF form with three fields and one INSERT."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench", WTF_CSRF_TIME_LIMIT=None)
    engine = make_engine(database_url)
    metadata = MetaData()
    table = Table(
        "bare_request",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("company", String(200)),
        Column("email", String(254)),
    )
    metadata.create_all(engine)

    class BareForm(FlaskForm):
        company_name = StringField(validators=[DataRequired(), Length(max=200)])
        email = EmailField(validators=[DataRequired(), Email()])
        notes = StringField(validators=[Length(max=2000)])

    @app.route("/quote", methods=["GET", "POST"])
    def quote():
        form = BareForm()
        if form.validate_on_submit():
            with engine.begin() as conn:
                conn.execute(
                    insert(table).values(company=form.company_name.data, email=form.email.data)
                )
            return "", 303
        return f'<input name="csrf_token" value="{form.csrf_token.current_token}">'

    return app


def post_many(app: Flask, repeat: int, make_data) -> list[float]:
    """Time `repeat` form POSTs, each with fresh data and the page's CSRF token."""
    client = app.test_client()
    token = TOKEN.search(client.get("/quote").get_data(as_text=True)).group(1)
    counter = iter(range(10**9))

    def one():
        response = client.post("/quote", data={**make_data(next(counter)), "csrf_token": token})
        assert response.status_code == 303, response.status_code

    return timed(one, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(server, tmp) as url:
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                "RATELIMIT_ENABLED": False,
                "SMTP_HOST": None,
            }
        )
        import logging

        logging.getLogger("matcher.dispatch").setLevel(logging.ERROR)
        real = post_many(app, args.requests, lambda i: request_form(company_name=f"Company {i}"))
        bare = post_many(
            bare_app(url),
            args.requests,
            lambda i: {"company_name": f"Company {i}", "email": "a@b.example"},
        )
    backend = "PostgreSQL" if server else "SQLite"
    print(f"machine: {machine()}")
    print(f"backend: {backend}")
    print(f"request form (validate + request + outbox mail) : {summary(real)}")
    print(f"baseline (bare Flask-WTF form + one INSERT)     : {summary(bare)}")


if __name__ == "__main__":
    main()

"""No log line opens a business's request or names a person, and gunicorn's access log works.

The gunicorn test runs a real gunicorn against this test's database and Redis, breaks one
table under it for a moment to get a real 500 on a /r/<token> page, and reads both log files.
"""

import io
import logging
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from matcher import PROJECT_ROOT
from matcher.businesses import quote_requests
from matcher.embedded_redis import free_port
from matcher.links import request_token
from tests.factories import make_request

# gunicorn's default access_log_format: its atoms come as a dict in record.args.
ACCESS_FORMAT = Config().access_log_format
ACCESS_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "GET \S+ HTTP/1\.1" \d{3} \d+ "-" "[^"]*"$')


def _formatted(records) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def test_an_exception_on_a_request_page_is_logged_without_the_token(
    app, client, db, caplog, monkeypatch
):
    token = request_token(make_request(db).public_id)

    def broken(session, token):
        raise RuntimeError(f"cannot read http://certmatch.test/r/{token}/withdraw")

    monkeypatch.setattr(quote_requests, "find_by_token", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs, answers 500
    with caplog.at_level(logging.ERROR):
        assert client.get(f"/r/{token}").status_code == 500
    logged = _formatted(caplog.records) + caplog.text
    assert "Exception on /r/[redacted] [GET]" in logged
    assert "Traceback" in logged and "RuntimeError: cannot read" in logged
    assert token not in logged
    assert token.split(".")[0] not in logged


def test_secret_links_and_email_addresses_are_redacted_whatever_the_arguments(app, caplog):
    log = logging.getLogger("matcher.test_logs")
    with caplog.at_level(logging.INFO):
        log.info("mail to %s refused for %r", "ann@acme.example", "/r/IjAbC.dEf")
        log.info({"not": "a string"})
        log.info("reset link %(link)s", {"link": "/password/reset/Ijk5.abc.def"})
        log.info("confirm %s", "https://x.example/provider/join/confirm/eyJ1.Zz.Yy?x=1")
        log.info("an object: %s", Exception("opened /r/IjSecret/quotes/1/accept"))
        log.info("numbers %d and %.1f stay numbers", 7, 2.5)
        log.info("the resend page /r/resend is no secret")
    assert caplog.messages == [
        "mail to [email] refused for '/r/[redacted]'",
        "{'not': 'a string'}",
        "reset link /password/reset/[redacted]",
        "confirm https://x.example/provider/join/confirm/[redacted]?x=1",
        "an object: opened /r/[redacted]/quotes/1/accept",
        "numbers 7 and 2.5 stay numbers",
        "the resend page /r/resend is no secret",
    ]


def test_gunicorns_access_atoms_stay_a_mapping_and_format(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("tests.access")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    atoms = {
        "h": "127.0.0.1",
        "t": "[01/Jan/2026:00:00:00 +0000]",
        "r": "GET /r/IjAbC.dEf HTTP/1.1",
        "s": "200",
        "b": "512",
        "f": "-",
        "a": 'curl "7"',
    }
    try:
        log.info(ACCESS_FORMAT, SafeAtoms(atoms))
    finally:
        log.removeHandler(handler)
    assert stream.getvalue() == (
        '127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /r/[redacted] HTTP/1.1" 200 512 '
        '"-" "curl \\"7\\""\n'
    )


def test_a_database_error_never_quotes_the_values_it_was_given(app):
    engine = app.extensions["certmatch.engine"]
    with pytest.raises(DBAPIError) as error, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "Ann Smith"})
    assert "no_such_table" in str(error.value)
    assert "Ann Smith" not in str(error.value)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            _get(f"{base}/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


@pytest.mark.slow
def test_a_real_gunicorn_logs_every_request_without_tokens(app, db, app_env, tmp_path):
    public_id = make_request(db).public_id
    token = request_token(public_id)
    db.close()
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    env = {key: value for key, value in app_env.items() if key != "CERTMATCH_TESTING"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
        + ["--access-logfile", str(access_log), "--error-logfile", str(error_log)]
        # No control socket: it lives at one fixed path, which parallel test runs would share.
        + ["--no-control-socket", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
    )
    engine = app.extensions["certmatch.engine"]
    try:
        _wait_until_up(base, server)
        assert _get(f"{base}/r/{token}") == 200
        assert _get(f"{base}/password/reset/Ijk5.abc.def") in (200, 404, 410)
        # A real fault under a real page: the table the page reads is gone for a moment.
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE quote_request RENAME TO quote_request_away"))
        try:
            assert _get(f"{base}/r/{token}") == 500
        finally:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE quote_request_away RENAME TO quote_request"))
    finally:
        server.terminate()
        server.wait(timeout=30)

    access, errors = access_log.read_text(), error_log.read_text()
    lines = access.splitlines()
    assert len(lines) >= 4, access
    assert all(ACCESS_LINE.match(line) for line in lines), access
    assert sum('"GET /r/[redacted] HTTP/1.1" 200' in line for line in lines) == 1
    assert sum('"GET /r/[redacted] HTTP/1.1" 500' in line for line in lines) == 1
    assert '"GET /password/reset/[redacted] HTTP/1.1"' in access
    assert "Exception on /r/[redacted] [GET]" in errors and "Traceback" in errors
    for text_ in (access, errors):
        assert "Logging error" not in text_
        assert token not in text_ and token.split(".")[0] not in text_
        assert public_id not in text_ and "Ijk5" not in text_

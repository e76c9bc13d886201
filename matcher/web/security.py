"""Security headers on every response, no caching of private pages, no secrets in the logs."""

import copy
import logging
import re
from collections.abc import Mapping

from flask import Flask, Response, current_app, request, session

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# First path segments of pages that belong to one business, provider, admin or login.
PRIVATE_SECTIONS = frozenset(
    {"r", "provider", "admin", "login", "logout", "password", "account", "dev"}
)

# Links whose last segment is a secret: the business's page, password reset, join confirmation.
_SECRET_LINK = re.compile(
    r"(/r/|/password/reset/|/provider/join/confirm/)(?!resend(?:[/?#\s\"']|$))[^/\s?#\"']+"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def init_app(app: Flask) -> None:
    """Add the security headers hook and redact every log record made in this process."""
    app.after_request(add_security_headers)
    _redact_all_log_records()


def add_security_headers(response: Response) -> Response:
    """Set CSP, framing, sniffing, referrer, caching and (over https) HSTS headers."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Business links carry a secret token in the path: never leak it in a Referer.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SEND_HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if is_private_response(response):
        # Overrides send_file's own caching: a shared or back-button copy would outlive a logout.
        headers["Cache-Control"] = "no-store"
    return response


def is_private_response(response: Response) -> bool:
    """Whether a response belongs to one person: a private page, a signed-in user, a new cookie."""
    if request.endpoint == "static":
        return False
    if request.path.split("/", 2)[1] in PRIVATE_SECTIONS:
        return True
    # The session cookie is only written after this hook runs, hence `modified`.
    return "Set-Cookie" in response.headers or session.modified or "_user_id" in session


def redact(text: str) -> str:
    """Blank out secret link tokens and e-mail addresses in a log text."""
    return _EMAIL.sub("[email]", _SECRET_LINK.sub(r"\1[redacted]", text))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a log record's message, arguments, traceback and stack in place."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    record.args = _redacted_args(record.args)
    try:
        message = record.getMessage()
    except Exception:
        message = None  # the handler reports the broken call as logging always does
    cleaned = None if message is None else redact(message)
    if cleaned != message:
        # A token inside a non-string argument (an exception, a request): keep the text only.
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text, so the traceback is formatted once, here, redacted.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def _redacted_args(args):
    if isinstance(args, tuple):
        return tuple(redact(a) if isinstance(a, str) else a for a in args)
    if isinstance(args, Mapping):
        # gunicorn's access atoms: a dict subclass whose lookups never fail; keep its type.
        changed = {}
        for key, value in args.items():
            if isinstance(value, str) and (clean := redact(value)) != value:
                changed[key] = clean
        if not changed:
            return args
        try:
            cleaned = copy.copy(args)
            cleaned.update(changed)
        except Exception:  # a read-only mapping: a plain dict formats the same
            cleaned = {**args, **changed}
        return cleaned
    return args


def _redact_all_log_records() -> None:
    # A record factory sees every record of every logger (flask.app, gunicorn, rq, ours)
    # before any handler or formatter does; filters would have to be on every handler.
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_secrets", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    make_record.redacts_secrets = True
    logging.setLogRecordFactory(make_record)

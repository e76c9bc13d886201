"""Security headers on every response, and no secret links in the access log."""

import logging
import re

from flask import Flask, Response, current_app

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


_REQUEST_LINK = re.compile(r"/r/[^/\s?\"]+")


class RedactRequestLinks(logging.Filter):
    """Blank out the token of /r/<token> links: an access log must not open anyone's request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _REQUEST_LINK.sub("/r/[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _REQUEST_LINK.sub("/r/[redacted]", record.msg)
        return True


def init_app(app: Flask) -> None:
    """Add the security headers hook and the access-log redaction."""
    app.after_request(add_security_headers)
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactRequestLinks) for f in logger.filters):
            logger.addFilter(RedactRequestLinks())


def add_security_headers(response: Response) -> Response:
    """Set CSP, framing, sniffing, referrer and (over https) HSTS headers."""
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
    return response

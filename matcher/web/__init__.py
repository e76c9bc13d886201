"""Blueprint registration, error pages and the health check."""

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from matcher.db import database_unreachable, get_session
from matcher.queue import redis_is_up
from matcher.web.bounds import BoundedIntConverter

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60


def init_app(app: Flask) -> None:
    """Register every blueprint, the error handlers and /healthz."""
    from matcher.web.admin import bp as admin_bp
    from matcher.web.auth import bp as auth_bp
    from matcher.web.auth import init_login
    from matcher.web.devtools import bp as dev_bp
    from matcher.web.provider import bp as provider_bp
    from matcher.web.public import bp as public_bp

    # Before any rule is added: each rule binds its converters when it joins the map.
    app.url_map.converters["int"] = BoundedIntConverter
    init_login(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(provider_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(dev_bp)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_error)


def healthz():
    """Report whether the database and the queue answer; 503 when the database does not."""
    try:
        get_session().exec(text("SELECT 1"))
        database = True
    except Exception:  # noqa: BLE001  any failure means "down"
        database = False
    body = {"database": database, "queue": redis_is_up()}
    return jsonify(body), 200 if database else 503


def handle_http_error(error: HTTPException):
    """Plain pages for browsers, JSON for API clients."""
    if _wants_json():
        return jsonify({"error": error.name, "message": error.description}), error.code
    template = f"errors/{error.code}.html"
    try:
        return render_template(template, error=error), error.code
    except Exception:  # noqa: BLE001  no dedicated page for this code
        return render_template("errors/generic.html", error=error), error.code


def handle_database_error(error: DBAPIError):
    """503 "try again in a minute" while the database is unreachable; other errors stay 500s."""
    if not database_unreachable(error):
        raise error
    # The endpoint, not the path: a business's path is its private link.
    log.warning(
        "database unreachable, %s answered 503: %s", request.endpoint, type(error.orig).__name__
    )
    unavailable = ServiceUnavailable(
        "CertMatch is temporarily unavailable. Please try again in a minute."
    )
    if _wants_json():
        response = jsonify({"error": unavailable.name, "message": unavailable.description})
    else:
        # Rendered without the context processors: Flask-Login's would load the signed-in
        # user from the very database that is down.
        template = current_app.jinja_env.get_template("errors/503.html")
        response = make_response(template.render(error=unavailable))
    response.status_code = unavailable.code
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")

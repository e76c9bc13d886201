"""Blueprint registration, error pages and the health check."""

from flask import Flask, jsonify, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from matcher.db import get_session
from matcher.queue import redis_is_up
from matcher.web.bounds import BoundedIntConverter


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
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"error": error.name, "message": error.description}), error.code
    template = f"errors/{error.code}.html"
    try:
        return render_template(template, error=error), error.code
    except Exception:  # noqa: BLE001  no dedicated page for this code
        return render_template("errors/generic.html", error=error), error.code

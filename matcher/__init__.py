"""CertMatch: one free form, up to three competing quotes from verified ISO providers."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from matcher import db
from matcher.config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the CertMatch application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # The n-th address from the right of X-Forwarded-For is the client; what stands left
        # of it the client wrote. Host is not taken: links use BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)

    from matcher import labels, queue, web, wording
    from matcher.extensions import csrf, limiter
    from matcher.web import form_errors, security

    queue.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", queue.limiter_storage_uri(app))
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5})
    limiter.init_app(app)
    security.init_app(app)
    web.init_app(app)
    form_errors.init_app(app)
    wording.init_app(app)
    labels.init_app(app)

    from matcher.cli import register_commands

    register_commands(app)
    return app

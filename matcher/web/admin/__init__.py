"""The admin console."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from matcher.web.admin import (  # noqa: E402,F401
    affiliations,
    bodies,
    outbox,
    requests,
    routes,
    sector_complexity,
    stalled,
)

"""The admin console."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from matcher.admin import requests, routes, sector_complexity, stalled  # noqa: E402,F401

"""The admin console."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from matcher.admin import requests, routes  # noqa: E402,F401

"""The provider area: join, lead inbox, leads, profile."""

from flask import Blueprint

bp = Blueprint("provider", __name__, url_prefix="/provider")

from matcher.web.provider import account, affiliations, joining, leads, profile  # noqa: E402,F401

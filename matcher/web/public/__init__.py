"""The business side: landing page, request form, private request pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from matcher.web.public import actions, routes  # noqa: E402,F401

"""Admin views (issue 3 builds them)."""

from flask import abort

from matcher.admin import bp


@bp.get("/")
def dashboard():
    abort(404)

"""Provider views (issue 3 builds them)."""

from flask import abort

from matcher.provider import bp


@bp.get("/join")
def join():
    abort(404)


@bp.get("/")
def inbox():
    abort(404)

"""Login and logout (issue 3 builds the real accounts)."""

from flask import abort, redirect, url_for

from matcher.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(404)


@bp.post("/logout")
def logout():
    return redirect(url_for("public.landing"))

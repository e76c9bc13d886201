"""Demo-only pages: the outbox as a mailbox at /dev/mail."""

from flask import Blueprint, abort, current_app, render_template
from sqlmodel import col, select

from matcher.db import get_session
from matcher.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def demo_only():
    if not current_app.config["CERTMATCH_DEMO"]:
        abort(404)


@bp.get("/mail")
def mailbox():
    messages = (
        get_session()
        .exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(200))
        .all()
    )
    return render_template("dev/mail.html", messages=messages)


@bp.get("/mail/<int:message_id>")
def mail_message(message_id: int):
    message = get_session().get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return render_template("dev/mail_message.html", message=message)

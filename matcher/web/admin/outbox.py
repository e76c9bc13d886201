"""Admin: the outbox, every mail CertMatch wrote, and resending one that did not go out."""

from flask import abort, flash, redirect, render_template, url_for

from matcher.db import get_session
from matcher.dispatch import enqueue_outbox_rows
from matcher.web.admin import bp, queries
from matcher.web.admin.forms import EmptyForm
from matcher.web.auth.guards import admin_required
from matcher.web.bounds import page_arg


@bp.get("/mail")
@admin_required
def mail():
    session = get_session()
    page = page_arg()
    messages = queries.outbox(session, page=page)
    return render_template(
        "admin/mail.html",
        messages=messages,
        purged=queries.purged_mail_ids(session, messages),
        counts=queries.mail_counts(session),
        page=page,
        form=EmptyForm(),
    )


@bp.post("/mail/<int:message_id>/resend")
@admin_required
def mail_resend(message_id: int):
    session = get_session()
    message = queries.mail_for_resend(session, message_id)
    if message is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refusal = queries.resend_refusal(session, message)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for("admin.mail"), code=303)
    queries.reset_for_resend(session, message)
    session.commit()
    enqueue_outbox_rows([("mail", message.id)])
    flash(f"Mail to {message.to_email} queued again.", "success")
    return redirect(url_for("admin.mail"), code=303)

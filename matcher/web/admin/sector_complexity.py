"""Admin views of the sector-to-complexity mapping used by ISO 14001 / 45001 estimates."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from matcher.db import get_session
from matcher.iso.audit_time import standard_label
from matcher.iso.reference import iaf_sectors
from matcher.quotes import complexity
from matcher.web.admin import bp
from matcher.web.admin.forms import ClearComplexityForm, ComplexityForm
from matcher.web.auth.guards import admin_required


@bp.route("/complexity", methods=["GET", "POST"])
@admin_required
def complexity_mappings():
    session = get_session()
    form = ComplexityForm()
    if form.validate_on_submit():
        row = complexity.set_complexity(
            session,
            standard=form.standard.data,
            sector=int(form.sector.data),
            complexity=form.complexity.data,
            actor_id=current_user.id,
        )
        session.commit()
        flash(
            f"{standard_label(row.standard)}, sector {row.sector}: {row.complexity} complexity.",
            "success",
        )
        return redirect(url_for("admin.complexity_mappings"), code=303)
    return render_template(
        "admin/complexity.html",
        form=form,
        clear_form=ClearComplexityForm(),
        mappings=complexity.all_mappings(session),
        sectors=iaf_sectors(),
        label=standard_label,
        categories=complexity.MAPPED_STANDARDS,
    ), 422 if form.is_submitted() else 200


@bp.post("/complexity/clear")
@admin_required
def complexity_clear():
    form = ClearComplexityForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    sector = int(form.sector.data)
    if not complexity.clear_complexity(
        session, standard=form.standard.data, sector=sector, actor_id=current_user.id
    ):
        abort(404)
    session.commit()
    flash(
        f"{standard_label(form.standard.data)}, sector {sector}: back to medium complexity "
        "assumed.",
        "success",
    )
    return redirect(url_for("admin.complexity_mappings"), code=303)

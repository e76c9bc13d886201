"""Provider views: join, the status page, the inbox placeholder, profile and evidence."""

from datetime import date

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from matcher import accounts, affiliations, profile_edits, providers
from matcher.accreditation import all_bodies, body_is_usable, seed_if_empty
from matcher.auth.guards import current_provider, provider_account_required, provider_required
from matcher.auth.routes import login_limit
from matcher.db import get_session
from matcher.evidence import (
    EVIDENCE_KINDS,
    evidence_for_provider,
    evidence_path,
    store_evidence,
)
from matcher.extensions import limiter
from matcher.models import ConsultantPackage, Provider, ProviderKind, ProviderStatus, TravelPolicy
from matcher.provider import bp
from matcher.provider.forms import AffiliationForm, EvidenceForm, JoinForm, ProfileForm
from matcher.provider.qualification_forms import qualification_values
from matcher.reference import STANDARDS


def _body_choices(session) -> list[tuple[str, str]]:
    if seed_if_empty(session):
        session.commit()
    return [
        (str(b.id), f"{b.acronym} – {b.name}") for b in all_bodies(session) if body_is_usable(b)
    ]


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def join():
    session = get_session()
    form = JoinForm(bodies=_body_choices(session))
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("provider/join.html", form=form), status
    is_cb = form.kind.data == ProviderKind.CERTIFICATION_BODY
    upload = form.evidence.data if getattr(form.evidence.data, "filename", None) else None
    evidence = None
    if upload is not None:
        kind = "accreditation_certificate" if is_cb else "insurance"
        evidence = (kind, upload.filename, upload.stream)
    accounts.join_provider(
        session,
        email=form.email.data,
        password=form.password.data,
        provider_fields={"kind": form.kind.data, **_provider_fields(form, is_cb)},
        coverage=_coverage(form, is_cb),
        qualification=_qualification(form) if not is_cb else None,
        evidence=evidence,
    )
    session.commit()
    # The same page whether or not the address was new: no account probing.
    return redirect(url_for("provider.join_sent"), code=303)


@bp.get("/join/sent")
def join_sent():
    return render_template("provider/join_sent.html")


@bp.get("/join/confirm/<token>")
def confirm(token: str):
    session = get_session()
    user = accounts.confirm_email(session, token)
    if user is None:
        return render_template("provider/confirm_invalid.html"), 404
    session.commit()
    flash("Thank you: your e-mail address is confirmed. You can log in now.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/")
@provider_required
def inbox():
    from matcher.provider.leads import render_inbox

    return render_inbox()


@bp.get("/review")
@provider_account_required
def review():
    provider = current_provider()
    return render_template(
        "provider/review.html",
        provider=provider,
        upload_form=EvidenceForm(),
        evidence=_evidence_list(provider),
    )


@bp.route("/profile", methods=["GET", "POST"])
@provider_required
def profile():
    session = get_session()
    provider = current_provider()
    is_cb = provider.kind == ProviderKind.CERTIFICATION_BODY
    form = ProfileForm(kind=provider.kind, bodies=_body_choices(session))
    if not form.is_submitted():
        _fill_profile_form(form, provider, providers.coverage(session, provider))
        if not is_cb:
            _fill_bands(form, providers.packages_of(session, provider))
            _fill_qualifications(form, profile_edits.qualification_rows(session, provider))
    elif form.validate_on_submit():
        fields = _provider_fields(form, is_cb)
        reviewed = {name: fields.pop(name) for name in providers.REVIEWED_FIELDS if name in fields}
        coverage_lists = _coverage(form, is_cb)
        if is_cb:
            reviewed["scope"] = coverage_lists.pop("scope")
        fields["monthly_cap"] = form.monthly_cap.data
        parked = profile_edits.save_profile(
            session,
            provider,
            fields=fields,
            coverage_lists=coverage_lists,
            reviewed=reviewed,
            packages=None if is_cb else form.bands(),
            qualifications=None if is_cb else qualification_values(form),
            actor_id=current_user.id,
        )
        session.commit()
        flash(
            "Profile saved. Your accreditation changes wait for an admin; until then your "
            "current accreditation keeps working."
            if parked
            else "Profile saved.",
            "success",
        )
        return redirect(url_for("provider.profile"), code=303)
    return render_template(
        "provider/profile.html",
        form=form,
        provider=provider,
        is_cb=is_cb,
        upload_form=EvidenceForm(),
        evidence=_evidence_list(provider),
        standards=STANDARDS,
        affiliation_form=AffiliationForm(formdata=None),
        affiliated=providers.affiliations(session, provider),
    ), 422 if form.is_submitted() else 200


@bp.post("/profile/affiliations")
@provider_required
def declare_affiliation():
    session = get_session()
    provider = current_provider()
    form = AffiliationForm()
    if form.validate_on_submit():
        try:
            other = affiliations.declare_by_email(session, provider, form.email.data)
        except affiliations.AffiliationError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            session.commit()
            flash(
                f"Affiliation with {other.name} recorded: you and they will never be offered "
                "the same request.",
                "success",
            )
            return redirect(url_for("provider.profile") + "#affiliations", code=303)
    session.rollback()
    return render_template(
        "provider/affiliations_error.html",
        affiliation_form=form,
        affiliated=providers.affiliations(session, provider),
    ), 422


@bp.post("/evidence")
@provider_account_required
def evidence_upload():
    provider = current_provider()
    form = EvidenceForm()
    if not form.validate_on_submit():
        return render_template("provider/evidence.html", upload_form=form, provider=provider), 422
    session = get_session()
    store_evidence(
        session,
        provider,
        kind=form.kind.data,
        filename=form.file.data.filename,
        stream=form.file.data.stream,
    )
    session.commit()
    flash("Thank you: the document is stored and an admin will look at it.", "success")
    target = "provider.profile" if provider.status == ProviderStatus.VERIFIED else "provider.review"
    return redirect(url_for(target), code=303)


@bp.get("/evidence/<int:evidence_id>")
@provider_account_required
def evidence_download(evidence_id: int):
    evidence = evidence_for_provider(get_session(), current_provider().id, evidence_id)
    if evidence is None or not evidence_path(evidence).is_file():
        abort(404)
    return send_file(
        evidence_path(evidence),
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.original_name,
    )


# ---------------------------------------------------------------- form <-> model


def _evidence_list(provider: Provider):
    from matcher.admin.queries import evidence_of

    return [(e, EVIDENCE_KINDS.get(e.kind, e.kind)) for e in evidence_of(get_session(), provider)]


def _provider_fields(form, is_cb: bool) -> dict:
    fields = {
        "name": form.name.data,
        "phone": form.phone.data or None,
        "website": form.website.data or None,
        "description": form.description.data or None,
        "country": form.country.data,
        "region": form.region.data or None,
        "min_employees": form.min_employees.data,
        "max_employees": form.max_employees.data,
        "day_rate": form.day_rate.data,
        "currency": form.currency.data or None,
        "application_fee": form.application_fee.data,
        "certificate_fee": form.certificate_fee.data,
        "annual_fee": form.annual_fee.data,
        "travel_policy": form.travel_policy.data or None,
        # An estimate only means something under the "estimate" policy.
        "travel_estimate": form.travel_estimate.data
        if form.travel_policy.data == TravelPolicy.ESTIMATE
        else None,
    }
    if is_cb:
        fields |= {
            "accreditation_body_id": int(form.accreditation_body.data),
            "accreditation_number": form.accreditation_number.data,
            "accreditation_expires_on": form.accreditation_expires.data,
        }
    else:
        fields["insurance_expires_on"] = form.insurance_expires.data
    return fields


def _coverage(form, is_cb: bool) -> dict:
    sectors = [int(s) for s in form.sectors.data or []]
    coverage = {
        "countries": form.countries.data,
        "standards": form.standards.data,
        "sectors": sectors,
    }
    if is_cb:
        coverage["scope"] = [(std, sector) for std in form.standards.data for sector in sectors]
    return coverage


def _qualification(form) -> dict | None:
    if not form.qualification_name.data:
        return None
    return {
        "name": form.qualification_name.data,
        "issuer": form.qualification_issuer.data or None,
        "number": form.qualification_number.data or None,
        "expires_on": form.qualification_expires.data,
    }


def _fill_profile_form(form: ProfileForm, provider: Provider, coverage: dict) -> None:
    pending = provider.pending_changes or {}
    for name in (
        "name",
        "phone",
        "website",
        "description",
        "country",
        "region",
        "min_employees",
        "max_employees",
        "monthly_cap",
        "day_rate",
        "currency",
        "application_fee",
        "certificate_fee",
        "annual_fee",
        "travel_policy",
        "travel_estimate",
    ):
        form[name].data = getattr(provider, name)
    form.countries.data = coverage["countries"]
    form.standards.data = coverage["standards"]
    form.sectors.data = [str(s) for s in coverage["sectors"]]
    form.insurance_expires.data = provider.insurance_expires_on
    body_id = pending.get("accreditation_body_id", provider.accreditation_body_id)
    form.accreditation_body.data = str(body_id) if body_id else ""
    form.accreditation_number.data = pending.get(
        "accreditation_number", provider.accreditation_number
    )
    expires = pending.get("accreditation_expires_on")
    form.accreditation_expires.data = (
        date.fromisoformat(expires) if expires else provider.accreditation_expires_on
    )


def _fill_bands(form: ProfileForm, packages: list[ConsultantPackage]) -> None:
    if packages and all(p.fee is None for p in packages):
        form.package_pricing.data = "daily"
    for entry, package in zip(form.packages, packages, strict=False):
        entry.form.min_employees.data = package.min_employees
        entry.form.max_employees.data = package.max_employees
        entry.form.fee.data = package.fee
        entry.form.days.data = package.days


def _fill_qualifications(form: ProfileForm, rows: list[dict]) -> None:
    for entry, row in zip(form.qualifications, rows, strict=False):
        for name, value in row.items():
            entry.form[name].data = value

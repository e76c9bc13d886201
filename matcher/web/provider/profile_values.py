"""Between the join/profile forms and the provider's fields, coverage and price bands."""

from datetime import date

from matcher.models import ConsultantPackage, Provider, TravelPolicy
from matcher.providers.accreditation import all_bodies, body_is_usable, seed_if_empty
from matcher.web.provider.profile_forms import ProfileForm

PROFILE_FIELDS = (
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
)


def body_choices(session) -> list[tuple[str, str]]:
    """The accreditation bodies a CB may pick: recognised and not suspended."""
    if seed_if_empty(session):
        session.commit()
    return [
        (str(b.id), f"{b.acronym} – {b.name}") for b in all_bodies(session) if body_is_usable(b)
    ]


def provider_fields(form, is_cb: bool) -> dict:
    """The provider's own fields as the join or profile form gives them."""
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


def coverage(form, is_cb: bool) -> dict:
    """Countries, standards and sectors from the form; a CB's scope is every pair of them."""
    sectors = [int(s) for s in form.sectors.data or []]
    values = {
        "countries": form.countries.data,
        "standards": form.standards.data,
        "sectors": sectors,
    }
    if is_cb:
        values["scope"] = [(std, sector) for std in form.standards.data for sector in sectors]
    return values


def qualification(form) -> dict | None:
    """The consultant's one qualification from the join form, or None when left empty."""
    if not form.qualification_name.data:
        return None
    return {
        "name": form.qualification_name.data,
        "issuer": form.qualification_issuer.data or None,
        "number": form.qualification_number.data or None,
        "expires_on": form.qualification_expires.data,
    }


def fill_profile_form(form: ProfileForm, provider: Provider, coverage: dict) -> None:
    """Open the profile form with the provider's values, its pending changes shown as such."""
    pending = provider.pending_changes or {}
    for name in PROFILE_FIELDS:
        form[name].data = getattr(provider, name)
    # The name waiting for review: saving the form again must not withdraw it.
    form.name.data = pending.get("name", provider.name)
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


def fill_bands(form: ProfileForm, packages: list[ConsultantPackage]) -> None:
    """Open the consultant's price bands: daily pricing when no band has a fixed fee."""
    if packages and all(p.fee is None for p in packages):
        form.package_pricing.data = "daily"
    for entry, package in zip(form.packages, packages, strict=False):
        entry.form.min_employees.data = package.min_employees
        entry.form.max_employees.data = package.max_employees
        entry.form.fee.data = package.fee
        entry.form.days.data = package.days


def fill_qualifications(form: ProfileForm, rows: list[dict]) -> None:
    """Open the consultant's qualification rows."""
    for entry, row in zip(form.qualifications, rows, strict=False):
        for name, value in row.items():
            entry.form[name].data = value

"""The profile form: details, monthly cap, a consultant's price bands and qualifications."""

from wtforms import FieldList, FormField, IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from matcher.iso.bands import MAX_BANDS
from matcher.web.forms import SafeForm, choice_list, email_field
from matcher.web.provider.details_forms import ProviderDetailsForm
from matcher.web.provider.price_list_forms import (
    PACKAGE_PRICING,
    PackageBandForm,
    blank_band,
    check_bands,
)
from matcher.web.provider.qualification_forms import (
    MAX_QUALIFICATIONS,
    QualificationForm,
    check_qualifications,
)


class ProfileForm(ProviderDetailsForm):
    """A provider's profile and price list; the bands and qualifications are consultants' only."""

    monthly_cap = IntegerField(
        "Most leads a month",
        [InputRequired("Give a number."), NumberRange(min=1, max=500)],
        default=20,
    )
    # Consultants: a fixed fee, or typical days at the day rate, per headcount band.
    package_pricing = RadioField(
        "How you price a project",
        [Optional()],
        choices=choice_list(PACKAGE_PRICING),
        default="fixed",
    )
    packages = FieldList(FormField(PackageBandForm), min_entries=MAX_BANDS, max_entries=MAX_BANDS)
    qualifications = FieldList(
        FormField(QualificationForm),
        min_entries=MAX_QUALIFICATIONS,
        max_entries=MAX_QUALIFICATIONS,
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_value = kind
        if self.is_cb:
            # A CB's price is its day rate and fees, its standing its accreditation: bands and
            # personal qualifications are never read from its form.
            del self.packages
            del self.package_pricing
            del self.qualifications

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_cb:
            return ok
        return check_bands(self) & check_qualifications(self) and ok

    def bands(self) -> list[dict]:
        """The filled-in bands as ConsultantPackage values (call after validate)."""
        daily = self.package_pricing.data == "daily"
        return [
            {
                "min_employees": row.min_employees.data,
                "max_employees": row.max_employees.data,
                "fee": None if daily else row.fee.data,
                "days": row.days.data,
            }
            for row in (entry.form for entry in self.packages)
            if not blank_band(row)
        ]


class AffiliationForm(SafeForm):
    """Declare an affiliation with another provider by its CertMatch e-mail address."""

    email = email_field(
        "E-mail address of the affiliated consultant or certification body",
        "Enter the e-mail address the other provider uses on CertMatch.",
        invalid="Enter a valid e-mail address.",
    )

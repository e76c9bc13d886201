"""Provider forms: join (adapting to the kind), profile and price list, evidence upload."""

from datetime import date

from flask import current_app
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
    widgets,
)
from wtforms.validators import (
    URL,
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from matcher import reference
from matcher.auth.forms import strong_password
from matcher.bands import MAX_BANDS
from matcher.evidence import EVIDENCE_KINDS, sniff
from matcher.forms import SafeForm, choice_list, email_field, phone_validator, strip_filter
from matcher.models import ProviderKind, TravelPolicy
from matcher.provider.price_list_forms import (
    PACKAGE_PRICING,
    PackageBandForm,
    blank_band,
    check_bands,
    finite,
)
from matcher.provider.qualification_forms import (
    MAX_QUALIFICATIONS,
    QualificationForm,
    check_qualifications,
)

KINDS = [
    (ProviderKind.CONSULTANT.value, "Consultant: we help businesses get ready for certification"),
    (ProviderKind.CERTIFICATION_BODY.value, "Certification body: we audit and certify"),
]
TRAVEL_CHOICES = [
    ("", "Not stated"),
    (TravelPolicy.INCLUDED.value, "Included in the day rate"),
    (TravelPolicy.ESTIMATE.value, "Estimated in each quote"),
    (TravelPolicy.AT_COST.value, "Charged at cost"),
]

MONEY = [
    Optional(),
    finite,
    NumberRange(min=0, max=1_000_000, message="Enter an amount up to 1,000,000."),
]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _country_choices():
    return list(reference.countries().items())


def _sector_choices():
    return [(str(code), f"{code}. {name}") for code, name in reference.iaf_sectors().items()]


def _currency_choices():
    return [("", "Choose a currency")] + [
        (code, f"{code} – {name}") for code, name in reference.currencies().items()
    ]


def checked_upload(form, field):
    """Refuse anything but a PDF, PNG or JPEG (by content) within UPLOAD_MAX_BYTES."""
    upload = field.data
    if not upload or not getattr(upload, "filename", None):
        return
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    head = upload.stream.read(16)
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size == 0:
        raise ValidationError("The file is empty.")
    if size > limit:
        raise ValidationError(f"The file is too large: at most {limit // (1024 * 1024)} MB.")
    if sniff(head) is None:
        raise ValidationError("Upload a PDF, PNG or JPEG file (the content decides, not the name).")


def not_in_past(form, field):
    if field.data and field.data < date.today():
        raise ValidationError("This date has passed: it must still be valid.")


class ProviderDetailsForm(SafeForm):
    """The fields a provider keeps up to date, shared by join and profile."""

    name = StringField(
        "Organisation name",
        [DataRequired("Give your organisation's name."), Length(max=200)],
        filters=[strip_filter],
    )
    phone = StringField(
        "Phone", [Optional(), Length(max=40), phone_validator()], filters=[strip_filter]
    )
    website = URLField(
        "Website",
        [Optional(), Length(max=300), URL(message="Enter a web address like https://example.com.")],
        filters=[strip_filter],
    )
    description = TextAreaField(
        "What you offer", [Optional(), Length(max=2000)], filters=[strip_filter]
    )
    country = SelectField(
        "Based in", [DataRequired("Choose the country you are based in.")], choices=[]
    )
    region = StringField(
        "Region or city (optional)", [Optional(), Length(max=120)], filters=[strip_filter]
    )
    countries = SelectMultipleField(
        "Countries you serve", [DataRequired("Choose at least one country you serve.")], choices=[]
    )
    standards = MultiCheckboxField(
        "Standards",
        [DataRequired("Choose at least one standard.")],
        choices=choice_list(reference.STANDARDS.items()),
    )
    sectors = SelectMultipleField(
        "IAF sectors you specialise in",
        [Optional()],
        choices=[],
        description="Consultants: leave empty to take every sector. Certification bodies: "
        "the sectors of your accreditation scope.",
    )
    min_employees = IntegerField(
        "Smallest client (employees)",
        [InputRequired("Give a number."), NumberRange(min=1, max=1_000_000)],
        default=1,
    )
    max_employees = IntegerField(
        "Largest client (employees)",
        [InputRequired("Give a number."), NumberRange(min=1, max=1_000_000)],
        default=1000,
    )
    day_rate = DecimalField("Day rate", MONEY, places=2)
    currency = SelectField("Currency", [Optional()], choices=[])
    application_fee = DecimalField("Application fee", MONEY, places=2)
    certificate_fee = DecimalField("Certificate fee", MONEY, places=2)
    annual_fee = DecimalField("Annual fee", MONEY, places=2)
    travel_policy = SelectField("Travel", [Optional()], choices=choice_list(TRAVEL_CHOICES))
    travel_estimate = DecimalField("Usual travel estimate per quote", MONEY, places=2)
    # Certification bodies.
    accreditation_body = SelectField("Accreditation body", [Optional()], choices=[])
    accreditation_number = StringField(
        "Accreditation number", [Optional(), Length(max=80)], filters=[strip_filter]
    )
    accreditation_expires = DateField(
        "Accreditation valid until", [Optional(), not_in_past], format="%Y-%m-%d"
    )
    # Consultants.
    insurance_expires = DateField(
        "Indemnity insurance valid until", [Optional(), not_in_past], format="%Y-%m-%d"
    )

    def __init__(self, *args, bodies: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choice_list([("", "Choose a country"), *_country_choices()])
        self.countries.choices = choice_list(_country_choices())
        self.sectors.choices = choice_list(_sector_choices())
        self.currency.choices = choice_list(_currency_choices())
        self.accreditation_body.choices = choice_list(
            [("", "Choose your accreditation body"), *bodies]
        )

    @property
    def is_cb(self) -> bool:
        return self.kind_value == ProviderKind.CERTIFICATION_BODY

    kind_value: str = ProviderKind.CONSULTANT

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        checks = [
            (
                self.min_employees.data
                and self.max_employees.data
                and self.min_employees.data > self.max_employees.data,
                self.max_employees,
                "The largest client must not be smaller than the smallest.",
            ),
            (
                self.day_rate.data is not None and not self.currency.data,
                self.currency,
                "Choose the currency of your prices.",
            ),
            (
                self.travel_policy.data == TravelPolicy.ESTIMATE
                and self.travel_estimate.data is None
                and not self.travel_estimate.errors,
                self.travel_estimate,
                "Give your usual travel estimate: the policy says travel is estimated.",
            ),
        ]
        if self.is_cb:
            checks += [
                (
                    self.day_rate.data is None,
                    self.day_rate,
                    "Certification bodies give a day rate.",
                ),
                (not self.currency.data, self.currency, "Choose the currency of your prices."),
                (not self.sectors.data, self.sectors, "Choose the IAF sectors of your scope."),
                (
                    not self.accreditation_body.data,
                    self.accreditation_body,
                    "Choose the body that accredits you.",
                ),
                (
                    not self.accreditation_number.data,
                    self.accreditation_number,
                    "Give your accreditation number.",
                ),
                (
                    not self.accreditation_expires.data and not self.accreditation_expires.errors,
                    self.accreditation_expires,
                    "Give the date your accreditation runs until.",
                ),
            ]
        for failed, field, message in checks:
            if failed and message not in field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class JoinForm(ProviderDetailsForm):
    kind = RadioField(
        "We are a",
        [InputRequired("Choose what kind of provider you are.")],
        choices=choice_list(KINDS),
    )
    email = email_field("Work e-mail (your login)", "Enter your e-mail address.")
    password = PasswordField(
        "Password",
        [DataRequired("Choose a password."), strong_password(user_inputs_from="email")],
        description="12 to 128 characters; a few unrelated words make a strong passphrase.",
    )
    confirm = PasswordField(
        "Repeat the password",
        [DataRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )
    qualification_name = StringField(
        "Qualification (e.g. IRCA lead auditor ISO 9001)",
        [Optional(), Length(max=200)],
        filters=[strip_filter],
    )
    qualification_issuer = StringField(
        "Issued by", [Optional(), Length(max=200)], filters=[strip_filter]
    )
    qualification_number = StringField(
        "Certificate number", [Optional(), Length(max=80)], filters=[strip_filter]
    )
    qualification_expires = DateField(
        "Qualification valid until", [Optional(), not_in_past], format="%Y-%m-%d"
    )
    evidence = FileField(
        "Evidence (PDF, PNG or JPEG)",
        [checked_upload],
        description="Certification bodies: your accreditation certificate. Consultants: your "
        "indemnity insurance or qualification certificate.",
    )

    def validate(self, extra_validators=None) -> bool:
        self.kind_value = self.kind.data or ProviderKind.CONSULTANT
        return super().validate(extra_validators)


class ProfileForm(ProviderDetailsForm):
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


class EvidenceForm(SafeForm):
    kind = SelectField("Document", choices=choice_list(EVIDENCE_KINDS.items()))
    file = FileField("File (PDF, PNG or JPEG)", [checked_upload])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.file.data or not getattr(self.file.data, "filename", None):
            self.file.errors = [*self.file.errors, "Choose a file to upload."]
            ok = False
        return ok


class AffiliationForm(SafeForm):
    """Declare an affiliation with another provider by its CertMatch e-mail address."""

    email = email_field(
        "E-mail address of the affiliated consultant or certification body",
        "Enter the e-mail address the other provider uses on CertMatch.",
        invalid="Enter a valid e-mail address.",
    )

"""The details a provider keeps up to date, adapting to its kind: shared by join and profile."""

from datetime import date

from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
    widgets,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from matcher.iso import reference
from matcher.labels import TRAVEL
from matcher.models import ProviderKind, TravelPolicy
from matcher.web.forms import SafeForm, choice_list, phone_validator, strip_filter
from matcher.web.provider.price_list_forms import finite

TRAVEL_CHOICES = [("", "Not stated"), *((p.value, TRAVEL[p.value]) for p in TravelPolicy)]

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


def not_in_past(form, field):
    """Refuse a date that has already passed."""
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

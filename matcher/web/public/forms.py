"""The one free request form, and the resend-my-links form."""

from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from matcher.iso import reference
from matcher.web.forms import SafeForm, choice_list, email_field, phone_validator, strip_filter


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _country_choices():
    return choice_list([("", "Choose a country"), *reference.countries().items()])


def _sector_choices():
    sectors = [(code, f"{code}. {name}") for code, name in reference.iaf_sectors().items()]
    return choice_list([("", "Choose your sector"), *sectors])


class QuoteRequestForm(SafeForm):
    company_name = StringField(
        "Company name",
        [DataRequired("Tell us your company's name."), Length(max=200)],
        filters=[strip_filter],
    )
    contact_name = StringField(
        "Your name",
        [DataRequired("Tell us who to address."), Length(max=120)],
        filters=[strip_filter],
    )
    email = email_field("Work e-mail", "We need an e-mail address to send your quotes to.")
    phone = StringField(
        "Phone (optional)", [Optional(), Length(max=40), phone_validator()], filters=[strip_filter]
    )
    country = SelectField("Country", [DataRequired("Choose your country.")])
    region = StringField(
        "Region or city (optional)", [Optional(), Length(max=120)], filters=[strip_filter]
    )
    sector = SelectField("Sector (IAF code)", [DataRequired("Choose your sector.")])
    employees = IntegerField(
        "Employees",
        [
            InputRequired("How many people work for you? A whole number, e.g. 45."),
            NumberRange(1, 1_000_000, "Enter a whole number between 1 and 1,000,000."),
        ],
    )
    sites = IntegerField(
        "Sites",
        [Optional(), NumberRange(1, 10_000, "Enter a whole number of sites, 1 or more.")],
        default=1,
    )
    standards = MultiCheckboxField(
        "Standards",
        [DataRequired("Choose at least one standard.")],
        choices=choice_list(reference.STANDARDS.items()),
    )
    service = RadioField(
        "What do you need?",
        [DataRequired("Choose what you need.")],
        choices=choice_list(reference.SERVICES.items()),
    )
    certification_status = RadioField(
        "Where are you now?",
        [DataRequired("Tell us where you are.")],
        choices=choice_list(reference.CERTIFICATION_STATUSES.items()),
    )
    timeline = SelectField(
        "When do you want to be certified?",
        [DataRequired("Choose a timeline.")],
        choices=choice_list([("", "Choose a timeline"), *reference.TIMELINES.items()]),
    )
    current_consultant = StringField(
        "Consultant already helping you (optional)",
        [Optional(), Length(max=200)],
        filters=[strip_filter],
    )
    budget = IntegerField(
        "Budget (optional)", [Optional(), NumberRange(0, 100_000_000, "Enter a whole amount.")]
    )
    notes = TextAreaField(
        "Anything else providers should know? (optional)",
        [Optional(), Length(max=2000)],
        filters=[strip_filter],
    )
    consent = BooleanField(
        "I agree that CertMatch shares my anonymised request with up to six verified providers "
        "and, once I accept a quote, my contact details with that provider.",
        [DataRequired("Please agree so that we can ask providers for quotes.")],
    )
    # Honeypot: hidden from people, irresistible to bots.
    website = StringField("Leave this empty", [Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _country_choices()
        self.sector.choices = _sector_choices()


class ResendLinksForm(SafeForm):
    email = email_field(
        "Your e-mail", "Enter the e-mail address you used.", invalid="Enter a valid e-mail address."
    )


class ConfirmForm(SafeForm):
    """An empty form: only the CSRF token, so the confirm button is a real POST."""

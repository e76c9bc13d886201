"""The one free request form, and the resend-my-links form."""

from markupsafe import Markup
from wtforms import (
    BooleanField,
    Field,
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
    ValidationError,
)
from wtforms.widgets import html_params

from matcher.iso import reference
from matcher.web.forms import SafeForm, choice_list, email_field, phone_validator, strip_filter


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


MAX_PREVIOUS_CONSULTANTS = 3
CONSULTANT_NAME_LENGTH = 200


class NameListField(Field):
    """A few one-line text inputs sharing one name; its data is the names typed, trimmed."""

    def __init__(self, label=None, validators=None, *, slots: int, max_length: int, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)
        self.slots = slots
        self.max_length = max_length

    def process_formdata(self, valuelist):
        self.data = [value.strip() for value in valuelist if value.strip()]

    def __call__(self, **kwargs):
        # Refused input is shown back whole, even past the slots, so the person can fix it.
        kwargs = {key: value for key, value in kwargs.items() if value is not None}
        values = list(self.data or [])
        values += [""] * (self.slots - len(values))
        inputs = []
        for number, value in enumerate(values, start=1):
            extra = {"id": self.id} if number == 1 else {"aria-label": f"Consultant {number}"}
            params = html_params(
                name=self.name,
                type="text",
                value=value,
                maxlength=self.max_length,
                **extra,
                **kwargs,
            )
            inputs.append(Markup(f"<input {params}>"))
        return Markup('<div class="name-list">') + Markup("").join(inputs) + Markup("</div>")


def _few_short_names(form, field):
    if len(field.data) > MAX_PREVIOUS_CONSULTANTS:
        raise ValidationError("Name at most three consultants.")
    if any(len(name) > CONSULTANT_NAME_LENGTH for name in field.data):
        raise ValidationError(f"Keep each name to {CONSULTANT_NAME_LENGTH} characters or fewer.")


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
    previous_consultants = NameListField(
        "Other consultants you used in the last two years (optional)",
        [_few_short_names],
        slots=MAX_PREVIOUS_CONSULTANTS,
        max_length=CONSULTANT_NAME_LENGTH,
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
        "I agree that CertMatch shares my anonymised request with verified providers, at most "
        "three providers at a time and six in all, and, once I accept a quote, my contact "
        "details with that provider.",
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

"""The provider's answers to a lead: decline with a reason, or a quote by kind.

Figures are text fields checked by matcher.quotes.quote_math (days in halves, non-negative money,
sane ranges), so "1,5" or "-3" get a plain message next to the field, never a 500.
"""

from datetime import date

from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matcher.labels import FEE_TYPES as FEE_TYPE_LABELS
from matcher.quotes.answers import DECLINE_REASONS
from matcher.quotes.figures import validate_figures
from matcher.quotes.quote_math import FEE_TYPES, TRAVEL_CHOICES
from matcher.web.forms import SafeForm, choice_list, strip_filter

TEXT_MAX = 4000
TRAVEL_LABELS = {
    "included": "Included in the day rate",
    "estimate": "A fixed estimate (enter it below)",
    "at_cost": "Charged at cost",
}
FEE_LABELS = FEE_TYPE_LABELS


def _figure(label: str):
    return StringField(label, [Length(max=20)], filters=[strip_filter])


class DeclineForm(SafeForm):
    reason = RadioField(
        "Why do you decline?",
        [InputRequired("Choose why you decline this lead.")],
        choices=choice_list(DECLINE_REASONS.items()),
    )
    note = TextAreaField(
        "A note for us (optional, never shown to the business)",
        [Optional(), Length(max=1000)],
        filters=[strip_filter],
    )


class _QuoteForm(SafeForm):
    kind = ""
    valid_until = DateField("Valid until", [Optional()])
    message = TextAreaField(
        "Message to the business (optional)",
        [Optional(), Length(max=TEXT_MAX)],
        filters=[strip_filter],
    )

    def figures(self) -> dict:
        """The submitted figures, named as the Quote fields."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        errors = validate_figures(self.kind, self.figures(), today=date.today())
        for name, message in errors.items():
            field = self._fields[name]
            if not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class CBQuoteForm(_QuoteForm):
    kind = "certification_body"
    stage1_days = _figure("Stage 1 audit days")
    stage2_days = _figure("Stage 2 audit days")
    surveillance_days = _figure("Surveillance audit days (each year)")
    recertification_days = _figure("Recertification audit days (year 3)")
    day_rate = _figure("Day rate")
    application_fee = _figure("Application fee (optional)")
    certificate_fee = _figure("Certificate fee (optional)")
    annual_fee = _figure("Annual fee (optional)")
    travel = SelectField(
        "Travel",
        [InputRequired("Choose how travel is charged.")],
        choices=choice_list([("", "Choose"), *((t, TRAVEL_LABELS[t]) for t in TRAVEL_CHOICES)]),
    )
    travel_estimate = _figure("Travel estimate")
    justification = TextAreaField(
        "Justification of the audit time (optional)",
        [Optional(), Length(max=TEXT_MAX)],
        filters=[strip_filter],
    )


class ConsultantQuoteForm(_QuoteForm):
    kind = "consultant"
    fee_type = SelectField(
        "Fee",
        [InputRequired("Choose a fixed fee or a day rate.")],
        choices=choice_list([("", "Choose"), *((t, FEE_LABELS[t]) for t in FEE_TYPES)]),
    )
    fee = _figure("Fee, or day rate")
    days = _figure("Days of work")
    duration_weeks = IntegerField(
        "Duration in weeks (optional)",
        [Optional(), NumberRange(1, 260, "Enter a whole number of weeks from 1 to 260.")],
    )
    included = TextAreaField(
        "What is included (optional)", [Optional(), Length(max=TEXT_MAX)], filters=[strip_filter]
    )


def quote_form_for(kind: str, **kwargs) -> _QuoteForm:
    """The quote form for a provider kind."""
    form_class = CBQuoteForm if kind == "certification_body" else ConsultantQuoteForm
    return form_class(**kwargs)

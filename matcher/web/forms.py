"""Form building blocks shared by every blueprint: hidden-character and size guards, phones."""

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, FormField, SelectChoice, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Email, Length

from matcher.plain_text import (
    has_bidi_control,
    has_control_besides_line_breaks,
    has_line_break_or_control,
)

NUL_MESSAGE = "This contains characters we cannot accept. Please retype it."
LINE_BREAK_MESSAGE = "Remove line breaks and control characters."
CONTROL_MESSAGE = "Remove control characters."
BIDI_MESSAGE = "Remove the hidden text-direction characters."


class SafeForm(FlaskForm):
    """A FlaskForm that refuses NUL bytes, control and bidi-override characters in text.

    A single-line field refuses line breaks and tabs as well (a name may end up in a mail
    header, or read as two); a text area keeps them. Subforms are checked field by field.
    """

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in _text_fields(self):
            message = _hidden_character_problem(field)
            if message is not None:
                if message not in field.errors:
                    field.errors = [*field.errors, message]
                ok = False
        return ok


def _text_fields(fields):
    for field in fields:
        if isinstance(field, FieldList):
            yield from _text_fields(field)
        elif isinstance(field, FormField):
            yield from _text_fields(field.form)
        else:
            yield field


def _hidden_character_problem(field) -> str | None:
    values = field.data if isinstance(field.data, list) else [field.data]
    texts = [value for value in values if isinstance(value, str)]
    if any("\x00" in text for text in texts):
        return NUL_MESSAGE
    if isinstance(field, TextAreaField):
        if any(has_control_besides_line_breaks(text) for text in texts):
            return CONTROL_MESSAGE
    elif any(has_line_break_or_control(text) for text in texts):
        return LINE_BREAK_MESSAGE
    if any(has_bidi_control(text) for text in texts):
        return BIDI_MESSAGE
    return None


def strip_filter(value):
    """Trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


def phone_validator(country_field: str = "country"):
    """Check a phone number with phonenumbers, reading national numbers in the form's country."""

    def _check(form, field):
        if not field.data:
            return
        region = getattr(form, country_field).data if hasattr(form, country_field) else None
        try:
            number = phonenumbers.parse(field.data, region or None)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError("Enter a phone number, e.g. +44 20 7946 0958.") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValidationError("This is not a valid phone number for the country given.")
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return _check


def choice_list(items) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(str(value), label) for value, label in items]


INVALID_EMAIL = "Enter a valid e-mail address, e.g. name@company.com."


def email_field(label: str, required: str, *, invalid: str = INVALID_EMAIL) -> EmailField:
    """A required, trimmed e-mail field of at most 254 characters, checked by email-validator."""
    return EmailField(
        label,
        [DataRequired(required), Length(max=254), Email(invalid)],
        filters=[strip_filter],
    )

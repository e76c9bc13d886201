"""Form building blocks shared by every blueprint: NUL-byte and size guards, phone checks."""

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, ValidationError
from wtforms.validators import DataRequired, Email, Length

NUL_MESSAGE = "This contains characters we cannot accept. Please retype it."


class SafeForm(FlaskForm):
    """A FlaskForm that refuses NUL bytes and control characters in any text field."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(v, str) and _has_forbidden_chars(v) for v in values):
                if NUL_MESSAGE not in field.errors:
                    field.errors = [*field.errors, NUL_MESSAGE]
                ok = False
        return ok


def _has_forbidden_chars(value: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value)


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

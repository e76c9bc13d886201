"""What a person reads for a stored value: country names, phone numbers, choice labels.

The one place that maps choice codes to labels; pages and mails use it through the
`country_name`, `phone` and `label` filters, forms through its dictionaries.
"""

import phonenumbers
from flask import Flask

from matcher.iso import reference

TRAVEL = {
    "included": "Included in the day rate",
    "estimate": "Estimated in each quote",
    "at_cost": "Charged at cost",
}
FEE_TYPES = {"fixed": "A fixed fee for the whole project", "daily": "A day rate x days"}
PROVIDER_KINDS = {"consultant": "consultant", "certification_body": "certification body"}

CHOICES: dict[str, dict[str, str]] = {
    "standard": reference.STANDARDS,
    "service": reference.SERVICES,
    "certification_status": reference.CERTIFICATION_STATUSES,
    "timeline": reference.TIMELINES,
    "travel": TRAVEL,
    "fee_type": FEE_TYPES,
    "kind": PROVIDER_KINDS,
}


def choice_label(code: str | None, choice: str) -> str:
    """The label of one code of a choice ('at_cost' of 'travel': 'Charged at cost')."""
    if not code:
        return ""
    return CHOICES[choice].get(str(code), str(code))


def country_name(code: str | None) -> str:
    """A country's English name for its ISO 3166 alpha-2 code ('DE': 'Germany')."""
    if not code:
        return ""
    return reference.countries().get(code.upper(), code)


def phone_display(number: str | None) -> str:
    """A stored phone number in international format ('+49 711 1234567'); as typed if unreadable."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def init_app(app: Flask) -> None:
    """Register the filters, for pages and mails alike."""
    app.add_template_filter(choice_label, "label")
    app.add_template_filter(country_name, "country_name")
    app.add_template_filter(phone_display, "phone")

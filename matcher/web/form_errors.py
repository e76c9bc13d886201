"""The error summary at the top of a refused form: each error, named and linked to its field."""

from typing import NamedTuple

from flask import Flask
from wtforms import FieldList, FormField
from wtforms.fields import HiddenField


class FormError(NamedTuple):
    """One error as the summary shows it; `target` is the field's id, None when unlinkable."""

    target: str | None
    label: str
    message: str


def form_errors(form) -> list[FormError]:
    """List a form's errors in page order, subforms' included, each with its field's id."""
    items = [FormError(None, "", message) for message in getattr(form, "form_errors", [])]
    for field in form:
        items += _field_errors(field, "")
    return items


def _field_errors(field, suffix: str) -> list[FormError]:
    label = f"{field.label.text}{suffix}"
    if isinstance(field, FormField):
        return [item for sub in field.form for item in _field_errors(sub, suffix)]
    if isinstance(field, FieldList):
        own = [message for message in field.errors if isinstance(message, str)]
        first = _first_id(field)
        items = [FormError(first, label, message) for message in own]
        for number, entry in enumerate(field, start=1):
            items += _field_errors(entry, f" ({field.label.text.lower()} {number})")
        return items
    # A hidden field (the CSRF token) has nothing a person could go and correct.
    target = None if isinstance(field, HiddenField) else field.id
    return [FormError(target, label, message) for message in field.errors if message]


def _first_id(field_list: FieldList) -> str | None:
    for entry in field_list:
        if isinstance(entry, FormField):
            return next((sub.id for sub in entry.form), None)
        return entry.id
    return None


def init_app(app: Flask) -> None:
    """Make `form_errors` callable from every template."""
    app.add_template_global(form_errors, "form_errors")

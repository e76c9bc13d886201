"""A provider's price list on the profile: money checks and a consultant's headcount bands."""

from wtforms import DecimalField, Form, IntegerField, ValidationError
from wtforms.validators import NumberRange, Optional, StopValidation

PACKAGE_PRICING = [
    ("fixed", "A fixed fee for each band"),
    ("daily", "My day rate x the typical days for each band"),
]


def finite(form, field):
    """Refuse NaN and infinities before any range check compares them."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter a number.")


def half_days(form, field):
    """Accept whole or half days only."""
    if field.data is not None and (field.data * 2) % 1:
        raise ValidationError("Give whole or half days, e.g. 3 or 3.5.")


class PackageBandForm(Form):
    """One headcount band of a consultant's price list (a subform: the parent holds CSRF)."""

    min_employees = IntegerField(
        "Employees from", [Optional(), NumberRange(min=1, max=1_000_000, message="1 or more.")]
    )
    max_employees = IntegerField(
        "Employees to", [Optional(), NumberRange(min=1, max=1_000_000, message="1 or more.")]
    )
    fee = DecimalField(
        "Fixed fee",
        [Optional(), finite, NumberRange(min=1, max=1_000_000, message="1 to 1,000,000.")],
        places=2,
    )
    days = DecimalField(
        "Typical days",
        [Optional(), finite, NumberRange(min=0.5, max=365, message="0.5 to 365."), half_days],
        places=None,
    )


def blank_band(row: PackageBandForm) -> bool:
    """Whether a band row was left entirely empty (it is then ignored)."""
    return all(
        field.data is None and not (field.raw_data and field.raw_data[0].strip()) for field in row
    )


def _fail(field, message: str) -> bool:
    if message not in field.errors:
        field.errors = [*field.errors, message]
    return False


def check_bands(form) -> bool:
    """Each band complete, min <= max, no overlap; fees or days as the pricing says."""
    ok = True
    daily = form.package_pricing.data == "daily"
    rows = [entry.form for entry in form.packages if not blank_band(entry.form)]
    for row in rows:
        if row.min_employees.data is None and not row.min_employees.errors:
            ok = _fail(row.min_employees, "Give the smallest headcount of this band.")
        if row.max_employees.data is None and not row.max_employees.errors:
            ok = _fail(row.max_employees, "Give the largest headcount of this band.")
        low, high = row.min_employees.data, row.max_employees.data
        if low is not None and high is not None and low > high:
            ok = _fail(row.max_employees, "Must not be smaller than the first headcount.")
        if daily:
            if row.days.data is None and not row.days.errors:
                ok = _fail(row.days, "Give the typical days for this band.")
            if row.fee.data is not None:
                ok = _fail(row.fee, "Leave the fee empty: daily pricing uses your day rate.")
        elif row.fee.data is None and not row.fee.errors:
            ok = _fail(row.fee, "Give the fixed fee for this band.")
    complete = sorted(
        (row for row in rows if not row.min_employees.errors and not row.max_employees.errors),
        key=lambda row: row.min_employees.data or 0,
    )
    for before, after in zip(complete, complete[1:], strict=False):
        if None in (before.max_employees.data, after.min_employees.data):
            continue
        if after.min_employees.data <= before.max_employees.data:
            ok = _fail(
                after.min_employees,
                f"Overlaps the band {before.min_employees.data}-{before.max_employees.data}.",
            )
    if rows and daily and form.day_rate.data is None and not form.day_rate.errors:
        ok = _fail(form.day_rate, "Give your day rate: daily bands are priced with it.")
    if rows and not form.currency.data:
        ok = _fail(form.currency, "Choose the currency of your prices.")
    if form.package_pricing.errors:
        ok = False
    return ok

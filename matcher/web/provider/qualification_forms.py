"""A consultant's qualifications on the profile (lead-auditor certificates and the like)."""

from wtforms import DateField, Form, StringField
from wtforms.validators import Length, Optional

from matcher.web.forms import strip_filter

MAX_QUALIFICATIONS = 3


class QualificationForm(Form):
    """One qualification (a subform: the parent holds CSRF). A row without a name is dropped."""

    name = StringField(
        "Qualification (e.g. IRCA lead auditor ISO 9001)",
        [Optional(), Length(max=200)],
        filters=[strip_filter],
    )
    issuer = StringField("Issued by", [Optional(), Length(max=200)], filters=[strip_filter])
    number = StringField("Certificate number", [Optional(), Length(max=80)], filters=[strip_filter])
    expires_on = DateField("Valid until", [Optional()], format="%Y-%m-%d")


def check_qualifications(form) -> bool:
    """Every row with details has a name; returns whether all rows are fine."""
    ok = True
    for row in (entry.form for entry in form.qualifications):
        given = row.issuer.data or row.number.data or row.expires_on.data
        if given and not row.name.data and not row.name.errors:
            row.name.errors = [*row.name.errors, "Give the qualification's name."]
            ok = False
    return ok


def qualification_values(form) -> list[dict]:
    """The named rows as Qualification values (call after validate)."""
    return [
        {
            "name": row.name.data,
            "issuer": row.issuer.data or None,
            "number": row.number.data or None,
            "expires_on": row.expires_on.data,
        }
        for row in (entry.form for entry in form.qualifications)
        if row.name.data
    ]

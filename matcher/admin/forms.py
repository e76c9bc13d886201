"""Admin console forms: decisions with a reason, accreditation bodies, outbox resend."""

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from matcher.forms import SafeForm, choice_list, strip_filter
from matcher.models import ProviderStatus

DECISION_LABELS = {
    "verify": "Verify",
    "reject": "Reject",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
}


class DecisionForm(SafeForm):
    action = SelectField("Decision", choices=choice_list(DECISION_LABELS.items()))
    reason = TextAreaField(
        "Reason (sent to the provider)",
        [
            DataRequired("Give a reason: it goes to the provider and the audit log."),
            Length(max=2000),
        ],
        filters=[strip_filter],
    )


class ChangesForm(SafeForm):
    action = HiddenField("Action", [AnyOf(["approve", "refuse"], "Choose approve or refuse.")])
    reason = TextAreaField("Reason", [Optional(), Length(max=2000)], filters=[strip_filter])


class BodyForm(SafeForm):
    acronym = StringField(
        "Acronym",
        [DataRequired("Give the body's acronym."), Length(max=40)],
        filters=[strip_filter],
    )
    name = StringField(
        "Full name",
        [DataRequired("Give the body's name."), Length(max=200)],
        filters=[strip_filter],
    )
    country = StringField(
        "Country or economy", [Optional(), Length(max=120)], filters=[strip_filter]
    )


class BodyStatusForm(SafeForm):
    suspended = HiddenField("Suspended", [AnyOf(["0", "1"], "Choose suspend or restore.")])


class ProviderFilterForm(SafeForm):
    class Meta:
        csrf = False

    q = StringField("Search", [Optional(), Length(max=200)], filters=[strip_filter])
    status = SelectField(
        "Status",
        choices=choice_list(
            [("", "Any status"), *((s.value, s.value.capitalize()) for s in ProviderStatus)]
        ),
        default="",
    )
    kind = SelectField(
        "Kind",
        choices=choice_list(
            [
                ("", "Any kind"),
                ("consultant", "Consultant"),
                ("certification_body", "Certification body"),
            ]
        ),
        default="",
    )
    country = StringField("Country (alpha-2)", [Optional(), Length(max=2)], filters=[strip_filter])
    standard = SelectField("Standard", choices=[], default="")


class EmptyForm(SafeForm):
    """A form with only its CSRF token, for one-button actions."""

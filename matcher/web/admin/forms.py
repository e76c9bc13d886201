"""Admin console forms: decisions, accreditation bodies, sector complexity, outbox resend."""

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from matcher.iso.audit_time import standard_label
from matcher.iso.reference import iaf_sectors
from matcher.models import ProviderStatus
from matcher.quotes.complexity import MAPPED_STANDARDS
from matcher.web.forms import SafeForm, choice_list, strip_filter

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
    # Own ids: the decision form on the same page has fields of the same names, and a label
    # must point at its own field.
    action = HiddenField(
        "Action",
        [AnyOf(["approve", "refuse"], "Choose approve or refuse.")],
        id="changes-action",
    )
    reason = TextAreaField(
        "Reason", [Optional(), Length(max=2000)], filters=[strip_filter], id="changes-reason"
    )


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


class SchemeDecisionForm(SafeForm):
    """Confirm or reject one body's recognition for one scheme: CSRF and the decision."""

    status = HiddenField(
        "Decision", [AnyOf(["confirmed", "rejected"], "Choose confirm or reject.")]
    )


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


def _complexity_standard_choices():
    return choice_list((code, standard_label(code)) for code in MAPPED_STANDARDS)


def _sector_choices():
    return choice_list((code, f"{code}. {name}") for code, name in iaf_sectors().items())


class ComplexityForm(SafeForm):
    """Map one IAF sector to an MD 5 complexity category for ISO 14001 or ISO 45001."""

    standard = SelectField("Standard", choices=[])
    sector = SelectField("IAF sector", choices=[])
    complexity = SelectField(
        "Complexity category",
        choices=choice_list(
            (c, c.capitalize()) for c in dict.fromkeys(sum(MAPPED_STANDARDS.values(), ()))
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard.choices = _complexity_standard_choices()
        self.sector.choices = _sector_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        allowed = MAPPED_STANDARDS.get(self.standard.data, ())
        if ok and self.complexity.data not in allowed:
            self.complexity.errors = [
                *self.complexity.errors,
                f"{standard_label(self.standard.data)} has the categories {', '.join(allowed)}.",
            ]
            ok = False
        return ok


class ClearComplexityForm(SafeForm):
    """Remove one mapping: the sector goes back to "medium complexity assumed"."""

    standard = HiddenField("Standard", [AnyOf(list(MAPPED_STANDARDS), "Unknown standard.")])
    sector = HiddenField(
        "Sector", [AnyOf([str(code) for code in iaf_sectors()], "Unknown IAF sector.")]
    )


class RemoveAffiliationForm(SafeForm):
    """Remove a declared affiliation: a reason is required, for the audit log."""

    reason = TextAreaField(
        "Why remove it?",
        [DataRequired("Give a reason for the audit log."), Length(max=2000)],
        filters=[strip_filter],
    )

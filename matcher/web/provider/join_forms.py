"""The join form: what a provider applies with, its login and its first evidence."""

from flask_wtf.file import FileField
from wtforms import DateField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from matcher.models import ProviderKind
from matcher.web.auth.forms import strong_password
from matcher.web.forms import choice_list, email_field, strip_filter
from matcher.web.provider.details_forms import ProviderDetailsForm, not_in_past
from matcher.web.provider.evidence_forms import checked_upload

KINDS = [
    (ProviderKind.CONSULTANT.value, "Consultant: we help businesses get ready for certification"),
    (ProviderKind.CERTIFICATION_BODY.value, "Certification body: we audit and certify"),
]


class JoinForm(ProviderDetailsForm):
    """An application to join: kind, details, login and a first piece of evidence."""

    kind = RadioField(
        "We are a",
        [InputRequired("Choose what kind of provider you are.")],
        choices=choice_list(KINDS),
    )
    email = email_field("Work e-mail (your login)", "Enter your e-mail address.")
    password = PasswordField(
        "Password",
        [DataRequired("Choose a password."), strong_password("email", "name")],
        description="12 to 128 characters; a few unrelated words make a strong passphrase.",
    )
    confirm = PasswordField(
        "Repeat the password",
        [DataRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )
    qualification_name = StringField(
        "Qualification (e.g. IRCA lead auditor ISO 9001)",
        [Optional(), Length(max=200)],
        filters=[strip_filter],
    )
    qualification_issuer = StringField(
        "Issued by", [Optional(), Length(max=200)], filters=[strip_filter]
    )
    qualification_number = StringField(
        "Certificate number", [Optional(), Length(max=80)], filters=[strip_filter]
    )
    qualification_expires = DateField(
        "Qualification valid until", [Optional(), not_in_past], format="%Y-%m-%d"
    )
    evidence = FileField(
        "Evidence (PDF, PNG or JPEG)",
        [checked_upload],
        description="Certification bodies: your accreditation certificate. Consultants: your "
        "indemnity insurance or qualification certificate.",
    )

    def validate(self, extra_validators=None) -> bool:
        self.kind_value = self.kind.data or ProviderKind.CONSULTANT
        return super().validate(extra_validators)

"""Login, password and two-factor forms."""

from wtforms import EmailField, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from matcher.accounts.passwords import MAX_LENGTH, password_problem
from matcher.accounts.two_factor import normalise_code
from matcher.web.forms import SafeForm, email_field, strip_filter


class LoginForm(SafeForm):
    email = EmailField(
        "E-mail",
        [DataRequired("Enter your e-mail address."), Length(max=254)],
        filters=[strip_filter],
    )
    password = PasswordField(
        "Password", [DataRequired("Enter your password."), Length(max=MAX_LENGTH)]
    )


class ResetRequestForm(SafeForm):
    email = email_field("E-mail", "Enter your e-mail address.")


def strong_password(*user_inputs_from: str):
    """Validate a new password against the length and zxcvbn rules.

    The words an attacker knows of the account count against it: the form's
    `password_user_inputs` and the fields named in `user_inputs_from` (e-mail, name).
    """

    def _check(form, field):
        inputs = list(getattr(form, "password_user_inputs", ()))
        inputs += [form[name].data or "" for name in user_inputs_from if name in form]
        problem = password_problem(field.data or "", inputs)
        if problem:
            raise ValidationError(problem)

    return _check


class NewPasswordForm(SafeForm):
    password = PasswordField(
        "New password",
        [DataRequired("Choose a password."), strong_password()],
        description="12 to 128 characters; a few unrelated words make a strong passphrase.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        [DataRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )

    def __init__(self, *args, user_inputs: list[str] | tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.password_user_inputs = tuple(user_inputs)


def code_field() -> StringField:
    """The 6-digit code from an authenticator app; spaces inside it are dropped."""
    return StringField(
        "6-digit code",
        [
            DataRequired("Enter the 6-digit code from your authenticator app."),
            Length(max=6, message="Enter the 6 digits your app shows."),
            Regexp(r"^[0-9]{6}$", message="Enter the 6 digits your app shows."),
        ],
        filters=[normalise_code],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 7},
    )


class TwoFactorCodeForm(SafeForm):
    code = code_field()


class DisableTwoFactorForm(SafeForm):
    password = PasswordField(
        "Password", [DataRequired("Enter your password."), Length(max=MAX_LENGTH)]
    )
    code = code_field()

"""A provider joins: its pending profile, its login and the confirmation mail (flush only)."""

from sqlmodel import Session

from matcher.accounts.users import confirmation_token, create_user, normalise_email
from matcher.links import absolute_url
from matcher.models import Role, User
from matcher.outbox import queue_mail
from matcher.providers.evidence import store_evidence
from matcher.providers.profiles import create_provider, email_taken


def join_provider(
    session: Session,
    *,
    email: str,
    password: str,
    provider_fields: dict,
    coverage: dict,
    qualification: dict | None = None,
    evidence: tuple[str, str, object] | None = None,
) -> User | None:
    """Create a pending provider and its login, and mail a confirmation link; flush only.

    When the address is already registered nothing is created: its owner gets a mail
    saying so instead, and the caller answers exactly as on success.
    """
    if email_taken(session, email):
        queue_mail(
            session,
            template="account_join_exists",
            to=normalise_email(email),
            subject="You already have a CertMatch account",
            context={
                "login_link": absolute_url("/login"),
                "reset_link": absolute_url("/password/reset"),
            },
        )
        return None
    provider = create_provider(
        session,
        email=email,
        qualifications=[qualification] if qualification else [],
        **provider_fields,
        **coverage,
    )
    user = create_user(
        session, email=email, password=password, role=Role.PROVIDER, provider_id=provider.id
    )
    if evidence is not None:
        kind, filename, stream = evidence
        store_evidence(session, provider, kind=kind, filename=filename, stream=stream)
    queue_mail(
        session,
        template="account_confirm_email",
        to=user.email,
        subject="Confirm your e-mail address for CertMatch",
        context={
            "link": absolute_url(f"/provider/join/confirm/{confirmation_token(user)}"),
            "organisation": provider.name,
        },
        provider_id=provider.id,
    )
    return user

"""A provider saves its profile: most of it counts at once; accreditation, scope and a
verified provider's new name wait.

An admin approves or refuses what is parked in matcher/vetting/change_review.py.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session

from matcher.models import Provider, utcnow
from matcher.providers.profiles import coverage, replace_coverage, replace_packages

# Fields of a certification body that only change after an admin approved them.
REVIEWED_FIELDS = ("accreditation_body_id", "accreditation_number", "accreditation_expires_on")
# A verified provider's name is what businesses were shown and what admins checked: a new
# one could pass the provider off as another, so it waits for an admin too.
NAME = "name"
PARKED_FIELDS = (NAME, *REVIEWED_FIELDS)


def what_changes(pending: dict[str, Any]) -> str:
    """'name and accreditation' for the parts of a proposal, as mails and pages say them."""
    parts = []
    if NAME in pending:
        parts.append("name")
    if "scope" in pending or any(name in pending for name in REVIEWED_FIELDS):
        parts.append("accreditation")
    if "qualifications" in pending:
        parts.append("qualifications")
    return " and ".join(parts) or "profile"


def changes_to_review(
    session: Session, provider: Provider, changes: dict[str, Any]
) -> dict[str, Any]:
    """The parked fields and scope that differ from the live profile, as JSON values.

    Writes nothing: the caller parks them (matcher/providers/profile_edits.py), with the
    consultant's qualifications, in one write.
    """
    current = coverage(session, provider)
    wanted: dict[str, Any] = {}
    for name in PARKED_FIELDS:
        if name in changes and changes[name] != getattr(provider, name):
            value = changes[name]
            wanted[name] = value.isoformat() if isinstance(value, date) else value
    if "scope" in changes and sorted(changes["scope"]) != current["scope"]:
        wanted["scope"] = [list(pair) for pair in sorted(changes["scope"])]
    return wanted


def update_profile(
    session: Session,
    provider: Provider,
    *,
    fields: dict[str, Any],
    coverage_lists: dict[str, Any],
    reviewed: dict[str, Any],
    packages: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Save the profile and price list at once, except accreditation, scope and a verified
    provider's name (admin review).

    `packages` None leaves a consultant's bands as they are. Returns what differs among
    those, to wait for review (`changes_to_review`); parking it is the caller's. Flush only.
    """
    # Only a verified provider reaches its profile: before that, the application is reviewed
    # as a whole and the join form sets the name.
    if NAME in fields:
        fields = dict(fields)
        reviewed = {**reviewed, NAME: fields.pop(NAME)}
    for name, value in fields.items():
        setattr(provider, name, value)
    provider.updated_at = utcnow()
    session.add(provider)
    replace_coverage(session, provider, **coverage_lists)
    if packages is not None:
        replace_packages(session, provider, packages)
    return changes_to_review(session, provider, reviewed) if reviewed else {}

"""A consultant's qualifications: the checked rows, and the ones waiting for an admin (flush only).

A business reads a consultant's qualifications under "Verified by CertMatch", so the
`qualification` rows of a provider that has been verified hold only what an admin checked:
the whole application at verification, each later addition on the admin provider page. A
verified consultant's new or changed qualification waits in
`Provider.pending_changes["qualifications"]` (plain JSON values, like a CB's scope widening);
one it removes goes at once, because a consultant that no longer claims a qualification must
stop showing it today. A changed row is both: the old one goes, the new one waits.
"""

from datetime import date
from typing import Any

from sqlmodel import Session, col, delete, select

from matcher.models import Provider, ProviderStatus, Qualification

FIELDS = ("name", "issuer", "number", "expires_on")
# Statuses whose application is being (or was) reviewed as a whole: their edits count at once.
APPLICATION_STATUSES = (ProviderStatus.PENDING, ProviderStatus.REJECTED)


def is_reviewed_one_by_one(provider: Provider) -> bool:
    """Whether the provider's qualification additions wait for an admin (it was verified)."""
    return provider.status not in APPLICATION_STATUSES


def checked_rows(session: Session, provider: Provider) -> list[dict[str, Any]]:
    """The provider's qualification rows as plain values, in the order they were given."""
    found = session.exec(
        select(Qualification)
        .where(Qualification.provider_id == provider.id)
        .order_by(col(Qualification.id))
    )
    return [{name: getattr(q, name) for name in FIELDS} for q in found]


def waiting_rows(provider: Provider) -> list[dict[str, Any]]:
    """The qualifications waiting for an admin, with their dates as dates."""
    return [from_json(row) for row in (provider.pending_changes or {}).get("qualifications", [])]


def to_json(row: dict[str, Any]) -> dict[str, Any]:
    """One qualification as a JSON-safe dict (its date as YYYY-MM-DD)."""
    expires = row.get("expires_on")
    return {**{name: row.get(name) for name in FIELDS}, "expires_on": _iso(expires)}


def from_json(row: dict[str, Any]) -> dict[str, Any]:
    """One qualification from its JSON form, ready for a `Qualification` row."""
    expires = row.get("expires_on")
    return {
        **{name: row.get(name) for name in FIELDS},
        "expires_on": date.fromisoformat(expires) if expires else None,
    }


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def remove_unclaimed(
    session: Session, provider: Provider, wanted: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Delete the checked rows the provider no longer gives; return the rows removed."""
    keep = [to_json(row) for row in wanted]
    removed = []
    rows = session.exec(select(Qualification).where(Qualification.provider_id == provider.id))
    for q in rows.all():
        values = {name: getattr(q, name) for name in FIELDS}
        if to_json(values) not in keep:
            removed.append(values)
            session.delete(q)
    session.flush()
    return removed


def unchecked(session: Session, provider: Provider, wanted: list[dict[str, Any]]) -> list[dict]:
    """The wanted rows no admin has checked yet, as JSON values, in the order given."""
    checked = [to_json(row) for row in checked_rows(session, provider)]
    return [to_json(row) for row in wanted if to_json(row) not in checked]


def replace_rows(session: Session, provider: Provider, rows: list[dict[str, Any]]) -> None:
    """Make exactly these rows the provider's qualifications; flush only."""
    session.exec(delete(Qualification).where(col(Qualification.provider_id) == provider.id))
    add_rows(session, provider, rows)


def add_rows(session: Session, provider: Provider, rows: list[dict[str, Any]]) -> None:
    """Add qualification rows (plain or JSON values) after the existing ones; flush only."""
    for row in rows:
        session.add(Qualification(provider_id=provider.id, **from_json(to_json(row))))
    session.flush()


def describe(row: dict[str, Any]) -> str:
    """'IRCA lead auditor (CQI/IRCA, no. IR-42, valid until 2027-05-01)' for one row."""
    values = to_json(row)
    details = [
        values["issuer"],
        f"no. {values['number']}" if values["number"] else None,
        f"valid until {values['expires_on']}" if values["expires_on"] else None,
    ]
    given = ", ".join(d for d in details if d)
    return values["name"] + (f" ({given})" if given else "")

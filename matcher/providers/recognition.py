"""Which IAF MLA schemes each accreditation body is recognised for, and what that allows.

One `BodySchemeRecognition` row per body and scheme; only `confirmed` counts. The rows start
from the shipped `mla_recognition.csv` (`matcher.iso.schemes`), the way the bodies start from
`iaf_mla_bodies.csv`; an admin confirms or rejects the rest (`matcher.vetting.scheme_recognition`).
A body's `recognised` flag is kept equal to "confirmed for at least one scheme" here.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from matcher.iso.schemes import CONFIRMED, SCHEME_OF_STANDARD, SCHEMES, recognition_of
from matcher.models import AccreditationBody, BodySchemeRecognition


def ensure_scheme_rows(session: Session) -> int:
    """Give every body a row per scheme it lacks, from the shipped data; flush only.

    Returns how many rows were added. A body the data does not list gets unconfirmed rows.
    """
    have = set(session.exec(select(BodySchemeRecognition.body_id, BodySchemeRecognition.scheme)))
    touched, added = [], 0
    for body in session.exec(select(AccreditationBody).order_by(AccreditationBody.id)):
        missing = [scheme for scheme in SCHEMES if (body.id, scheme) not in have]
        for scheme in missing:
            found = recognition_of(body.acronym, scheme)
            session.add(
                BodySchemeRecognition(
                    body_id=body.id,
                    scheme=scheme,
                    status=found.status,
                    since=found.since,
                    basis=found.basis,
                    source=found.source,
                    confidence=found.confidence,
                )
            )
        if missing:
            touched.append(body)
            added += len(missing)
    session.flush()
    refresh_recognised(session, touched)
    return added


def refresh_recognised(session: Session, bodies: Iterable[AccreditationBody]) -> None:
    """Set each body's `recognised` flag to "confirmed for at least one scheme"; flush only."""
    bodies = list(bodies)
    confirmed = confirmed_schemes(session, [body.id for body in bodies])
    for body in bodies:
        recognised = bool(confirmed.get(body.id))
        if body.recognised != recognised:
            body.recognised = recognised
            session.add(body)
    session.flush()


def confirmed_schemes(session: Session, body_ids: Iterable[int]) -> dict[int, set[str]]:
    """Body id -> the schemes it is confirmed for, read as committed now."""
    ids = sorted(set(body_ids) - {None})
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return found
    rows = session.exec(
        select(BodySchemeRecognition.body_id, BodySchemeRecognition.scheme).where(
            col(BodySchemeRecognition.body_id).in_(ids),
            BodySchemeRecognition.status == CONFIRMED,
        )
    )
    for body_id, scheme in rows:
        found[body_id].add(scheme)
    return found


def recognised_standards(session: Session, body_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Body id -> the standards a CB it accredits may get leads for (none while suspended)."""
    ids = sorted(set(body_ids) - {None})
    if not ids:
        return {}
    suspended = set(
        session.exec(
            select(AccreditationBody.id).where(
                col(AccreditationBody.id).in_(ids), AccreditationBody.suspended
            )
        )
    )
    schemes = confirmed_schemes(session, ids)
    return {
        body_id: frozenset(
            standard
            for standard, scheme in SCHEME_OF_STANDARD.items()
            if scheme in schemes.get(body_id, ()) and body_id not in suspended
        )
        for body_id in ids
    }


def scheme_rows(session: Session) -> dict[int, list[BodySchemeRecognition]]:
    """Body id -> its scheme rows in SCHEMES order, for the admin's bodies page."""
    order = {scheme: i for i, scheme in enumerate(SCHEMES)}
    found: dict[int, list[BodySchemeRecognition]] = defaultdict(list)
    for row in session.exec(select(BodySchemeRecognition)):
        found[row.body_id].append(row)
    for rows in found.values():
        rows.sort(key=lambda row: order.get(row.scheme, len(order)))
    return found

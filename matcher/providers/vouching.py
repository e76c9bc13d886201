"""Whether CertMatch still vouches for providers, read under their row locks.

A match run ranks providers from an unlocked read; by the time it writes their leads one may
have been suspended, or its accreditation body may have stopped counting. The run locks the
chosen providers' rows and re-reads them (`still_vouched`); a suspension locks the same rows
(`matcher.quotes.withdrawal`), so whichever comes second sees what the first committed.
"""

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, select

from matcher import matching
from matcher.businesses.state import fresh
from matcher.db import in_chunks
from matcher.iso.schemes import SCHEME_OF_STANDARD
from matcher.matching import OfferHistory, Ranking, RequestFacts, Selection
from matcher.models import AccreditationBody, Provider, ProviderKind, ProviderStatus
from matcher.providers.accreditation import body_is_usable
from matcher.providers.recognition import confirmed_schemes

NO_LONGER_VOUCHED = "suspended, or its accreditation body was, while this run was matching"
# Why CertMatch took a lead back (LeadOffer.cancelled_because), for the provider's lead page.
PROVIDER_SUSPENDED = "provider_suspended"
BODY_NOT_RECOGNISED = "body_not_recognised"


def still_vouched(
    session: Session,
    facts: RequestFacts,
    history: OfferHistory,
    ranking: Ranking,
    selection: Selection,
    now: datetime,
) -> Selection:
    """Lock the chosen providers and choose again without any no longer vouched for.

    The ranking was read before any lock: a provider suspended (or whose accreditation body
    was) since then is seen only now, under the row lock the suspension also takes. The next
    candidates of the ranking fill its slot; if the ranking runs out, a later re-match will.
    """
    dropped: dict[int, str] = {}
    while selection.chosen:
        chosen = [c.provider.id for c in selection.chosen]
        gone = set(chosen) - lock_vouched(
            session, chosen, today=now.date(), standards=facts.standards
        )
        if not gone:
            break
        dropped |= dict.fromkeys(gone, NO_LONGER_VOUCHED)
        remaining = [c for c in ranking.candidates if c.provider.id not in dropped]
        selection = matching.select(facts, remaining, history)
    return Selection(chosen=selection.chosen, skipped={**selection.skipped, **dropped})


def lock_vouched(
    session: Session, provider_ids: Iterable[int], *, today: date, standards: Iterable[str] = ()
) -> set[int]:
    """Lock the providers' rows in id order; return those CertMatch still vouches for.

    Read under the lock, so the answer is current: verified and, for a CB, accredited in date
    by a body that is not suspended and is recognised for the scheme of each of `standards`.
    """
    rows = provider_rows(session, provider_ids, lock=True)
    return vouched_among(session, rows, today=today, standards=standards)


def vouched_among(
    session: Session, rows: list, *, today: date, standards: Iterable[str] = ()
) -> set[int]:
    """The ids among `provider_rows` CertMatch vouches for, their bodies read as they are."""
    gone = why_not_vouched(session, rows, today=today, standards=standards)
    return {row.id for row in rows if row.id not in gone}


def why_not_vouched(
    session: Session, rows: list, *, today: date, standards: Iterable[str] = ()
) -> dict[int, str]:
    """Id -> why CertMatch does not vouch for it, for each of `provider_rows` it does not.

    A CB still verified whose body stopped counting (suspended, recognised for no scheme, or
    not for the scheme of one of `standards`) lost it to its body; any other lost it to its
    own status (a lapsed accreditation too: the daily expiry job suspends it).
    """
    body_ids = {row.accreditation_body_id for row in rows} - {None}
    bodies = fresh(
        session, select(AccreditationBody).where(col(AccreditationBody.id).in_(body_ids))
    )
    usable = {body.id for body in bodies if body_is_usable(body)}
    needed = {SCHEME_OF_STANDARD[s] for s in standards if s in SCHEME_OF_STANDARD}
    if needed:
        schemes = confirmed_schemes(session, usable)
        usable = {body_id for body_id in usable if needed <= schemes.get(body_id, set())}
    why = {}
    for row in rows:
        if row.status != ProviderStatus.VERIFIED:
            why[row.id] = PROVIDER_SUSPENDED
        elif row.kind != ProviderKind.CERTIFICATION_BODY:
            continue
        elif row.accreditation_body_id not in usable:
            why[row.id] = BODY_NOT_RECOGNISED
        elif row.accreditation_expires_on is None or row.accreditation_expires_on < today:
            why[row.id] = PROVIDER_SUSPENDED
    return why


def provider_rows(session: Session, provider_ids: Iterable[int], *, lock: bool) -> list:
    """What vouching reads of each provider, optionally locked in id order.

    The lock is FOR NO KEY UPDATE, the one a plain UPDATE takes (see match_keys).
    """
    rows = []
    for chunk in in_chunks(sorted(set(provider_ids))):
        query = (
            select(
                Provider.id,
                Provider.status,
                Provider.kind,
                Provider.accreditation_body_id,
                Provider.accreditation_expires_on,
            )
            .where(col(Provider.id).in_(chunk))
            .order_by(Provider.id)
        )
        rows += session.exec(query.with_for_update(key_share=True) if lock else query).all()
    return rows

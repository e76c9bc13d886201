"""The business's consultants, as typed, matched to the consultants registered on CertMatch.

ISO/IEC 17021-1:2015 cl. 5.2 (management of impartiality): consultancy given to a client by
a body related to the certification body threatens the CB's impartiality, and the recognised
mitigation is that the CB does not certify that client within two years of the consultancy's
end (the subclause number is not confirmed from a primary source; see
matcher/data/iso17021_impartiality.csv). So the request names its current consultant and
those of the last two years, and the matcher keeps out every CB affiliated with one of them.
"""

from functools import lru_cache

from sqlmodel import Session, col, select

from matcher.businesses.names import fold, same_organisation_key
from matcher.models import Provider, ProviderKind, ProviderStatus

# A consultant suspended on CertMatch advised its clients all the same; one never vetted
# (pending) or turned away (rejected) may not even be who it says.
_VETTED = (ProviderStatus.VERIFIED, ProviderStatus.SUSPENDED)


@lru_cache(maxsize=65_536)
def _key(name: str) -> str:
    # Every registered name is folded on every submission: worth remembering.
    return same_organisation_key(name)


def registered_consultant_ids(session: Session, names: list[str]) -> list[int | None]:
    """The registered consultant each typed name means (None where none), in order.

    Names compare with `same_organisation_key`. Where several registered consultants share a
    key, the one spelled exactly as typed (case and accents aside) wins, then a verified one,
    then the oldest.
    """
    keys = [_key(name) for name in names]
    if not any(keys):
        return [None] * len(names)
    rows = session.exec(
        select(Provider.id, Provider.name, Provider.status)
        .where(Provider.kind == ProviderKind.CONSULTANT)
        .where(col(Provider.status).in_(_VETTED))
        .order_by(col(Provider.id))
    ).all()
    found = []
    for name, key in zip(names, keys, strict=True):
        same = [row for row in rows if key and _key(row.name) == key]
        same.sort(
            key=lambda row: (
                fold(row.name).strip() != fold(name).strip(),
                row.status != ProviderStatus.VERIFIED,
            )
        )
        found.append(same[0].id if same else None)
    return found

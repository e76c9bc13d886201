"""Sector-to-complexity mapping for ISO 14001 and ISO 45001 (IAF MD 5 complexity categories).

MD 5 sizes an EMS or OH&SMS audit by the complexity of the organisation's environmental or
OH&S risks, which follows mostly from what it does: an admin maps IAF sectors to a category,
and the indicative estimate uses it. An unmapped sector keeps "medium complexity assumed".
Flush only: the view commits.
"""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from matcher.iso.audit_time import COMPLEXITIES
from matcher.models import AuditLog, utcnow
from matcher.models.providers import SectorComplexity

# Standards whose MD 5 table has a column per complexity category, and those categories.
MAPPED_STANDARDS: dict[str, tuple[str, ...]] = dict(COMPLEXITIES)


class ComplexityError(ValueError):
    """A mapping that the standard's MD 5 table cannot use."""


def complexities_for(session: Session, *, sector: int, standards: Iterable[str]) -> dict[str, str]:
    """The mapped complexity per standard for one sector (unmapped standards are left out)."""
    wanted = [s for s in standards if s in MAPPED_STANDARDS]
    if not wanted:
        return {}
    rows = session.exec(
        select(SectorComplexity).where(
            SectorComplexity.sector == sector, col(SectorComplexity.standard).in_(wanted)
        )
    )
    return {row.standard: row.complexity for row in rows}


def all_mappings(session: Session) -> list[SectorComplexity]:
    """Every mapping, by standard then sector."""
    return list(
        session.exec(
            select(SectorComplexity).order_by(
                col(SectorComplexity.standard), col(SectorComplexity.sector)
            )
        )
    )


def set_complexity(
    session: Session, *, standard: str, sector: int, complexity: str, actor_id: int | None
) -> SectorComplexity:
    """Map one sector of one standard to a complexity category, with an audit row; flush only."""
    if complexity not in MAPPED_STANDARDS.get(standard, ()):
        raise ComplexityError(f"{standard} has no {complexity!r} complexity category.")
    row = _mapping(session, standard, sector)
    if row is None:
        row = SectorComplexity(standard=standard, sector=sector, complexity=complexity)
    else:
        row.complexity = complexity
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _audit(session, "set_complexity", row, f"{standard} sector {sector}: {complexity}", actor_id)
    return row


def clear_complexity(session: Session, *, standard: str, sector: int, actor_id: int | None) -> bool:
    """Remove one mapping (back to "medium complexity assumed"); return whether one existed."""
    row = _mapping(session, standard, sector)
    if row is None:
        return False
    _audit(session, "clear_complexity", row, f"{standard} sector {sector}: cleared", actor_id)
    session.delete(row)
    session.flush()
    return True


def _mapping(session: Session, standard: str, sector: int) -> SectorComplexity | None:
    return session.exec(
        select(SectorComplexity).where(
            SectorComplexity.standard == standard, SectorComplexity.sector == sector
        )
    ).first()


def _audit(
    session: Session, action: str, row: SectorComplexity, reason: str, actor_id: int | None
) -> None:
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            object_type="sector_complexity",
            object_id=row.id,
            reason=reason,
        )
    )
    session.flush()

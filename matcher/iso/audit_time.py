"""IAF MD 5 minimum audit time: pure table look-ups, plain data in, plain data out.

The tables give the initial audit (stage 1 + stage 2) in days for the effective number of
personnel, before any adjustment. Bands are read as steps (the worked example everyone quotes,
45 people for ISO 9001 = 4 days, is the step value). Past the last band the tables say "follow
progression": each further band is as much wider as the last band was than the one before
(x1.26 for every table here) and adds the last band's day step. That continues the table's
own logarithmic growth; such a figure is flagged `extrapolated`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

from matcher.iso.reference import STANDARDS, read_csv

TWO_PLACES = Decimal("0.01")
DEFAULT_COMPLEXITY = "medium"

# standard -> (file, table name, column per complexity or None for a single column)
_TABLES: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "iso9001": ("iaf_md5_qms.csv", "IAF MD 5 Table QMS 1", None),
    "iso14001": (
        "iaf_md5_ems.csv",
        "IAF MD 5 Table EMS 1",
        {c: f"days_{c}" for c in ("high", "medium", "low", "limited")},
    ),
    "iso45001": (
        "iaf_md5_ohs.csv",
        "IAF MD 5 Table OH&SMS 1",
        {c: f"days_{c}" for c in ("high", "medium", "low")},
    ),
    "iso27001": ("iso27006_isms.csv", "ISO/IEC 27006 Table B.1", None),
}

TABLED_STANDARDS = tuple(_TABLES)
COMPLEXITIES: dict[str, tuple[str, ...]] = {
    standard: tuple(columns) for standard, (_, _, columns) in _TABLES.items() if columns
}

LEVEL_OK = "ok"
LEVEL_BELOW_MINIMUM = "below_minimum"
LEVEL_BELOW_70_PERCENT = "below_70_percent"


@dataclass(frozen=True)
class AuditTime:
    """The minimum initial audit time for one standard and headcount."""

    standard: str
    employees: int
    days: Decimal
    table: str
    band: str
    complexity: str | None = None
    complexity_assumed: bool = False
    extrapolated: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        notes = []
        if self.complexity_assumed:
            notes.append(f"{self.complexity} complexity assumed")
        if self.extrapolated:
            notes.append(f"beyond the table ({self.band} people): extrapolated by its progression")
        return tuple(notes)


@dataclass(frozen=True)
class AuditMinimum:
    """The summed minimum initial audit time for several standards (no integration reduction)."""

    employees: int
    days: Decimal
    parts: tuple[AuditTime, ...]
    untabled: tuple[str, ...] = ()

    @property
    def standards(self) -> tuple[str, ...]:
        return tuple(part.standard for part in self.parts)

    @property
    def extrapolated(self) -> bool:
        return any(part.extrapolated for part in self.parts)


@dataclass(frozen=True)
class DaysCheck:
    """A CB quote's initial audit days against the MD 5 minimum."""

    minimum: Decimal
    offered: Decimal
    level: str
    warning: str | None


@cache
def rules() -> dict[str, Fraction]:
    """The MD 5 ratios from audit_time_rules.csv: surveillance, recertification, max reduction."""
    values = {row["rule_id"]: row["value"] for row in read_csv("audit_time_rules.csv")}
    return {
        "surveillance": Fraction(values["surveillance_time"]),
        "recertification": Fraction(values["recertification_time"]),
        "max_reduction": Fraction(values["max_total_reduction"].rstrip("%")) / 100,
    }


@cache
def _bands(standard: str, column: str) -> tuple[tuple[int, int, Decimal], ...]:
    """(min, max, days) rows of a table column, without the open-ended last row."""
    filename = _TABLES[standard][0]
    rows = []
    for row in read_csv(filename):
        low = row.get("effective_personnel_min") or row["persons_min"]
        high = row.get("effective_personnel_max") or row.get("persons_max")
        if not high:
            continue  # "follow progression": handled by _extrapolate
        rows.append((int(low), int(high), Decimal(row[column])))
    return tuple(rows)


def _extrapolate(bands, employees: int) -> tuple[Decimal, int, int]:
    """Days, band min and band max for a headcount past the last band."""
    (_, prev_high, prev_days), (_, high, days) = bands[-2], bands[-1]
    ratio = Fraction(high, prev_high)
    step = days - prev_days
    low = high + 1
    while employees > high:
        low, high = high + 1, int(high * ratio)
        days += step
    return days, low, high


def initial_audit_days(
    standard: str, employees: int, complexity: str | None = None
) -> AuditTime | None:
    """Return the minimum initial audit days for one standard, or None if it has no table."""
    if standard not in _TABLES:
        return None
    if employees < 1:
        raise ValueError("employees must be at least 1")
    _, table, columns = _TABLES[standard]
    assumed = False
    if columns is None:
        # QMS and ISMS have one column; complexity only moves them through MD 5's adjustments.
        column, complexity = "initial_audit_days_stage1_plus_stage2", None
    else:
        if complexity is None:
            complexity, assumed = DEFAULT_COMPLEXITY, True
        if complexity not in columns:
            raise ValueError(f"{standard}: complexity must be one of {', '.join(columns)}")
        column = columns[complexity]
    bands = _bands(standard, column)
    for low, high, days in bands:
        if low <= employees <= high:
            return AuditTime(standard, employees, days, table, f"{low}-{high}", complexity, assumed)
    days, low, high = _extrapolate(bands, employees)
    return AuditTime(
        standard, employees, days, table, f"{low}-{high}", complexity, assumed, extrapolated=True
    )


def combined_minimum(
    standards: Iterable[str], employees: int, complexities: Mapping[str, str] | None = None
) -> AuditMinimum | None:
    """Sum the minimum initial days of the standards that have a table; None if none has one."""
    complexities = complexities or {}
    parts, untabled = [], []
    for standard in dict.fromkeys(standards):
        found = initial_audit_days(standard, employees, complexities.get(standard))
        (parts if found else untabled).append(found or standard)
    if not parts:
        return None
    total = sum((part.days for part in parts), Decimal(0))
    return AuditMinimum(employees, total, tuple(parts), tuple(untabled))


def _share(initial: Decimal, fraction: Fraction) -> Decimal:
    exact = initial * fraction.numerator / fraction.denominator
    return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def surveillance_days(initial: Decimal) -> Decimal:
    """Return one year's surveillance audit days (1/3 of initial), to 2 places."""
    return _share(Decimal(initial), rules()["surveillance"])


def recertification_days(initial: Decimal) -> Decimal:
    """Return the recertification audit days (2/3 of initial), to 2 places."""
    return _share(Decimal(initial), rules()["recertification"])


def standard_label(standard: str) -> str:
    """Return the short name of a standard, e.g. 'ISO 9001'."""
    return STANDARDS.get(standard, standard).split(" (")[0]


def as_decimal(value) -> Decimal:
    """Return a number as a Decimal (floats through their shortest text form); None is 0."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def format_days(days: Decimal) -> str:
    """Return days without trailing zeros: 4, 1.5, 1.33."""
    return format(Decimal(days).normalize(), "f")


def check_initial_days(stage1_days, stage2_days, minimum: AuditMinimum) -> DaysCheck:
    """Compare a CB quote's stage 1 + stage 2 days with the MD 5 minimum; warn, never refuse."""
    offered = as_decimal(stage1_days) + as_decimal(stage2_days)
    reduction = rules()["max_reduction"]
    floor = minimum.days * (1 - Decimal(reduction.numerator) / reduction.denominator)
    percent = format_days(Decimal(reduction.numerator * 100) / reduction.denominator)
    if offered >= minimum.days:
        return DaysCheck(minimum.days, offered, LEVEL_OK, None)
    what = " + ".join(standard_label(s) for s in minimum.standards)
    people = "person" if minimum.employees == 1 else "people"
    about = "about " if minimum.extrapolated else ""
    lead = (
        f"The quote offers {format_days(offered)} initial audit days (stage 1 + stage 2); "
        f"IAF MD 5 sets {about}{format_days(minimum.days)} days for {what} with "
        f"{minimum.employees} {people}"
    )
    if offered < floor:
        warning = (
            f"{lead}. That is more than the {percent}% reduction MD 5 allows at most: "
            "no accredited certification body may offer this. A certificate from such an "
            "audit may not be recognised."
        )
        return DaysCheck(minimum.days, offered, LEVEL_BELOW_70_PERCENT, warning)
    warning = (
        f"{lead}. A certification body may reduce audit time by up to {percent}% only with a "
        "written justification; ask for it."
    )
    return DaysCheck(minimum.days, offered, LEVEL_BELOW_MINIMUM, warning)


def check_quote_days(
    stage1_days,
    stage2_days,
    *,
    standards: Iterable[str],
    employees: int,
    complexities: Mapping[str, str] | None = None,
) -> DaysCheck | None:
    """Check a CB quote's initial days for a request; None when no standard has a table."""
    minimum = combined_minimum(standards, employees, complexities)
    return check_initial_days(stage1_days, stage2_days, minimum) if minimum else None

"""IAF MLA sub-scopes ("schemes") per standard, and which bodies sign for which, as data.

An accreditation body is an IAF MLA signatory (since 2026: Global ACI MRA) scheme by scheme:
a CB accredited by it counts for a standard only where the body signs for that standard's
scheme. `mla_recognition.csv` holds one row per body and scheme with its evidence; only a
row a primary or corroborated source confirms starts confirmed (matcher/data/README.md).
"""

from dataclasses import dataclass
from functools import cache

from matcher.iso.reference import read_csv

SCHEME_OF_STANDARD: dict[str, str] = {
    "iso9001": "QMS",
    "iso14001": "EMS",
    "iso45001": "OHSMS",
    "iso27001": "ISMS",
    "iso22000": "FSMS",
    "iso13485": "MDMS",
    "iso50001": "EnMS",
}
SCHEMES: dict[str, str] = {
    "QMS": "Quality (ISO 9001)",
    "EMS": "Environment (ISO 14001)",
    "OHSMS": "Health and safety (ISO 45001)",
    "ISMS": "Information security (ISO/IEC 27001)",
    "FSMS": "Food safety (ISO 22000)",
    "MDMS": "Medical devices (ISO 13485)",
    "EnMS": "Energy (ISO 50001)",
}

CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"
REJECTED = "rejected"
STATUSES = (CONFIRMED, UNCONFIRMED, REJECTED)
# Only these labels may start a row confirmed: the body's or IAF's own word, or two sources.
CONFIRMING = ("primary-excerpt", "corroborated-secondary")
# The data file's confidence labels in plain words, for the admins who decide.
CONFIDENCE_WORDS = {
    "primary-excerpt": "said by the body itself, IAF or the regional group",
    "corroborated-secondary": "two sources agree",
    "single-secondary": "one secondary source only, not verified",
    "UNCERTAIN": "no source found",
}
NOTHING_ON_FILE = (
    "Not in CertMatch's reference list: check the body's member page on the IAF / Global ACI "
    "website for this sub-scope before confirming."
)


@dataclass(frozen=True)
class Recognition:
    """What the shipped data says about one body and one scheme."""

    acronym: str
    scheme: str
    status: str
    since: str | None
    basis: str | None
    source: str | None
    confidence: str | None


def standards_of(scheme: str) -> tuple[str, ...]:
    """The standards a scheme covers (one each today)."""
    return tuple(s for s, found in SCHEME_OF_STANDARD.items() if found == scheme)


def starting_status(recognised: str, confidence: str) -> str:
    """Confirmed only when the file says so on a primary or corroborated source."""
    return CONFIRMED if recognised == CONFIRMED and confidence in CONFIRMING else UNCONFIRMED


@cache
def recognitions() -> dict[tuple[str, str], Recognition]:
    """(lower-cased acronym, scheme) -> the file's row, for every body and scheme it lists."""
    found = {}
    for row in read_csv("mla_recognition.csv"):
        found[(row["acronym"].lower(), row["scheme"])] = Recognition(
            acronym=row["acronym"],
            scheme=row["scheme"],
            status=starting_status(row["recognised"], row["confidence"]),
            since=row["since"] or None,
            basis=row["basis"] or None,
            source=row["source"] or None,
            confidence=row["confidence"] or None,
        )
    return found


def recognition_of(acronym: str, scheme: str) -> Recognition:
    """The file's row for a body and scheme, or an unconfirmed one saying nothing is on file."""
    found = recognitions().get((acronym.strip().lower(), scheme))
    if found is not None:
        return found
    return Recognition(
        acronym=acronym,
        scheme=scheme,
        status=UNCONFIRMED,
        since=None,
        basis=NOTHING_ON_FILE,
        source=None,
        confidence=None,
    )

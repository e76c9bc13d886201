"""The code system each standard's scope is written in, and its codes, from the shipped CSVs.

ISO 9001, 14001 and 45001 scopes use the IAF codes 1-39; ISO 22000 the food chain
categories of ISO/TS 22003-1:2022; ISO 13485 the technical areas of IAF MD 9:2022; ISO 50001
the technical areas of ISO 50003:2021; ISO/IEC 27001 accreditation is not limited by sector,
so it asks no code. Sources and confidence per row: matcher/data/README.md.

Parents: ISO/TS 22003-1 groups subcategories (CI ... CIV) under a category (C) and MD 9
groups technical areas (AI ... AV) under a main area (A.1.1). No source seen says how an
accreditation written as the parent reads, so CertMatch decides: a parent covers each of its
children, a child never covers its parent or a sibling.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from matcher.iso.reference import read_csv


@dataclass(frozen=True)
class Code:
    """One code of a system: its name, its parent code (if any) and its source's confidence."""

    code: str
    name: str
    parent: str | None
    confidence: str


@dataclass(frozen=True)
class CodeSystem:
    """A code system: its key, what to call it, and its codes in the file's order."""

    key: str
    title: str
    codes: dict[str, Code]
    # Upper-cased spelling (and known alias) -> the code as the file spells it.
    lookup: dict[str, str]

    def canonical(self, code: object) -> str | None:
        """The code as the file spells it, or None when it is not one of this system's."""
        text = str(code).strip()
        if self.key == IAF and text.isdigit():
            text = str(int(text))
        return self.lookup.get(text.upper())

    def children(self, code: str) -> tuple[str, ...]:
        """The codes directly under `code` (none for a code without children)."""
        return tuple(c.code for c in self.codes.values() if c.parent == code)

    def covers(self, held: str, wanted: str) -> bool:
        """Whether an accreditation for `held` covers a request for `wanted` (a parent covers
        its children)."""
        while wanted is not None:
            if wanted == held:
                return True
            wanted = self.codes[wanted].parent if wanted in self.codes else None
        return False


IAF = "iaf"
ISO22003 = "iso22003"
MD9 = "md9"
ISO50003 = "iso50003"

_FILES = {
    IAF: ("IAF codes", "code_system_iaf.csv"),
    ISO22003: ("ISO/TS 22003-1:2022 food chain categories", "code_system_iso22003.csv"),
    MD9: ("IAF MD 9:2022 technical areas", "code_system_md9.csv"),
    ISO50003: ("ISO 50003:2021 technical areas", "code_system_iso50003.csv"),
}
# C0 (C-zero) printed as the letters "CO" by one FSSC 22000 summary (see the data README).
_ALIASES = {ISO22003: {"CO": "C0"}}

SYSTEM_OF_STANDARD: dict[str, str | None] = {
    "iso9001": IAF,
    "iso14001": IAF,
    "iso45001": IAF,
    "iso27001": None,
    "iso22000": ISO22003,
    "iso13485": MD9,
    "iso50001": ISO50003,
}


@cache
def code_system(key: str) -> CodeSystem:
    """One code system, read from its CSV once."""
    title, filename = _FILES[key]
    codes = {
        row["code"]: Code(
            code=row["code"],
            name=row["name"],
            parent=row.get("parent") or None,
            confidence=row["confidence"],
        )
        for row in read_csv(filename)
    }
    lookup = {**_ALIASES.get(key, {}), **{code.upper(): code for code in codes}}
    return CodeSystem(key=key, title=title, codes=codes, lookup=lookup)


def system_for(standard: str) -> CodeSystem | None:
    """The code system of a standard's scope; None for ISO/IEC 27001 or an unknown standard."""
    key = SYSTEM_OF_STANDARD.get(standard)
    return code_system(key) if key else None


def codes_for(standard: str) -> tuple[str, ...]:
    """Every code a scope for this standard may name, in the file's order (none: no code)."""
    system = system_for(standard)
    return tuple(system.codes) if system else ()


def is_valid(standard: str, code: object) -> bool:
    """Whether `code` is a code of the standard's system (ISO/IEC 27001 has none)."""
    system = system_for(standard)
    return system is not None and system.canonical(code) is not None


def canonical(standard: str, code: object) -> str | None:
    """The code as the standard's file spells it ("ci" -> "CI", "017" -> "17"), or None."""
    system = system_for(standard)
    return system.canonical(code) if system else None


def label(standard: str, code: object) -> str:
    """A code with its name for display ("CI - Processing of perishable animal products")."""
    system = system_for(standard)
    found = system.canonical(code) if system else None
    if found is None:
        return str(code)
    return f"{found} - {system.codes[found].name}"


def covers(standard: str, held: Iterable[str], wanted: str) -> bool:
    """Whether scope codes `held` cover the requested code `wanted` in the standard's system."""
    system = system_for(standard)
    if system is None:
        return False
    target = system.canonical(wanted)
    if target is None:
        return False
    return any(
        (code := system.canonical(h)) is not None and system.covers(code, target) for h in held
    )

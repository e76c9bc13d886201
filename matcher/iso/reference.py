"""ISO reference data shipped with the package: standards, IAF sectors, countries, bodies."""

import csv
from functools import cache
from pathlib import Path

import pycountry
from babel.numbers import get_territory_currencies

DATA_DIR = Path(__file__).parent.parent / "data"

STANDARDS: dict[str, str] = {
    "iso9001": "ISO 9001 (quality)",
    "iso14001": "ISO 14001 (environment)",
    "iso45001": "ISO 45001 (health and safety)",
    "iso27001": "ISO/IEC 27001 (information security)",
    "iso22000": "ISO 22000 (food safety)",
    "iso13485": "ISO 13485 (medical devices)",
    "iso50001": "ISO 50001 (energy)",
}

SERVICES = {
    "consultancy": "A consultant to help us get ready",
    "certification": "A certification body to audit and certify us",
    "both": "Both: a consultant and a certification body",
}

CERTIFICATION_STATUSES = {
    "new": "First certification",
    "in_progress": "Preparation under way",
    "renewal": "Renewal of an existing certificate",
    "transfer": "Transfer from another certification body",
}

TIMELINES = {
    "asap": "As soon as possible",
    "3_months": "Within 3 months",
    "6_months": "Within 6 months",
    "12_months": "Within 12 months",
}


def read_csv(name: str) -> list[dict[str, str]]:
    """Read one of the shipped reference tables."""
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def iaf_sectors() -> dict[int, str]:
    """The 39 IAF sector codes and their names."""
    return {int(row["iaf_code"]): row["sector_name"] for row in read_csv("iaf_sectors.csv")}


@cache
def countries() -> dict[str, str]:
    """ISO 3166 alpha-2 codes to common English names, sorted by name."""
    names = {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def currency_for_country(alpha_2: str) -> str:
    """The legal-tender currency of a country (EUR for DE), USD when unknown."""
    found = get_territory_currencies(alpha_2, tender=True)
    return found[0] if found else "USD"


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 codes to names."""
    return {c.alpha_3: c.name for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)}


@cache
def accreditation_bodies() -> list[dict[str, str]]:
    """The `AB` rows of the IAF MLA list: the recognised accreditation bodies to start with."""
    return [row for row in read_csv("iaf_mla_bodies.csv") if row["entity_type"] == "AB"]

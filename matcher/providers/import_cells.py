"""One provider CSV row read cell by cell: every problem collected, none raised."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session

from matcher.iso import reference
from matcher.iso.bands import BandError, parse_bands
from matcher.models import TravelPolicy
from matcher.providers.accreditation import find_body
from matcher.providers.profiles import email_taken


def split_list(value: str) -> list[str]:
    """The non-empty parts of a `;`-separated cell."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


class CsvRow:
    """Reads one CSV row, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: dict[str, str]):
        self.raw = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        self.problems: list[str] = []

    def text(self, name: str, *, max_length: int, required: bool = False) -> str | None:
        """A text cell within `max_length`; None when empty."""
        value = self.raw.get(name, "")
        if required and not value:
            self.problems.append(f"{name} is missing")
        if len(value) > max_length:
            self.problems.append(f"{name} is longer than {max_length} characters")
        return value or None

    def integer(self, name: str, default: int, *, low: int = 1, high: int = 1_000_000) -> int:
        """A whole number within low..high; `default` when empty."""
        value = self.raw.get(name, "")
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name} {value!r} is not a whole number")
            return default
        if not low <= number <= high:
            self.problems.append(f"{name} {number} is outside {low}..{high}")
        return number

    def money(self, name: str) -> Decimal | None:
        """An amount between 0 and 1,000,000 to the cent; None when empty."""
        value = self.raw.get(name, "")
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.problems.append(f"{name} {value!r} is not an amount")
            return None
        if not amount.is_finite() or amount < 0 or amount > 1_000_000:
            self.problems.append(f"{name} {value!r} is not an amount between 0 and 1,000,000")
            return None
        return amount.quantize(Decimal("0.01"))

    def day(self, name: str) -> date | None:
        """A YYYY-MM-DD date; None when empty."""
        value = self.raw.get(name, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
            return None


def read_email(row: CsvRow, session: Session, seen: set) -> str:
    """The normalised address, refused when invalid, repeated in the file or registered."""
    raw = row.raw.get("email", "")
    try:
        email = validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        row.problems.append(f"email {raw!r} is not a valid address" if raw else "email is missing")
        return raw.lower()
    if email in seen:
        row.problems.append("duplicate e-mail (already earlier in this file)")
    elif email_taken(session, email):
        row.problems.append("duplicate e-mail (already registered)")
    seen.add(email)
    return email


def read_sectors(row: CsvRow, is_cb: bool) -> list[int]:
    """The IAF sector codes; a certification body must list its scope."""
    sectors = []
    for value in split_list(row.raw.get("sectors", "")):
        if not value.isdigit() or int(value) not in reference.iaf_sectors():
            row.problems.append(f"unknown IAF sector {value!r}")
        else:
            sectors.append(int(value))
    if is_cb and not sectors and not row.raw.get("sectors"):
        row.problems.append("sectors is missing (a certification body lists its scope)")
    return sectors


def read_travel(row: CsvRow) -> str | None:
    """The travel policy, if it is one we know."""
    value = row.raw.get("travel_policy") or None
    if value and value not in {t.value for t in TravelPolicy}:
        row.problems.append(f"travel_policy {value!r} is not included, estimate or at_cost")
        return None
    return value


def read_packages(row: CsvRow, is_cb: bool, *, day_rate, currency) -> list[dict[str, Any]]:
    """A consultant's headcount bands, priced by fee or by days at the day rate."""
    value = row.raw.get("packages", "")
    if not value:
        return []
    if is_cb:
        row.problems.append("packages is for consultants only")
        return []
    try:
        bands = parse_bands(value)
    except BandError as exc:
        row.problems.append(f"packages {value!r}: {exc}")
        return []
    if not currency:
        row.problems.append("currency is missing for the packages")
    if day_rate is None and any(band["fee"] is None for band in bands):
        row.problems.append("day_rate is missing: packages in days are priced with it")
    return bands


def read_accreditation(session: Session, row: CsvRow, *, today: date) -> dict[str, Any]:
    """A certification body's recognised accreditation body, number and unexpired date."""
    acronym = row.raw.get("accreditation_body", "")
    body = find_body(session, acronym) if acronym else None
    if not acronym:
        row.problems.append("accreditation_body is missing")
    elif body is None:
        row.problems.append(f"unknown accreditation body {acronym!r}")
    elif body.suspended or not body.recognised:
        row.problems.append(f"accreditation body {body.acronym} is not recognised right now")
    number = row.text("accreditation_number", max_length=80, required=True)
    expires = row.day("accreditation_expires")
    if expires is None and not row.raw.get("accreditation_expires"):
        row.problems.append("accreditation_expires is missing")
    elif expires is not None and expires < today:
        row.problems.append(f"accreditation expired on {expires.isoformat()}")
    return {
        "accreditation_body_id": body.id if body else None,
        "accreditation_number": number,
        "accreditation_expires_on": expires,
    }

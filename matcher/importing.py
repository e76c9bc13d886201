"""Provider CSV import: every row checked first, then all imported or none.

Price-list columns, all optional: `day_rate`, `currency` (ISO 4217), `application_fee`,
`certificate_fee`, `annual_fee`, `travel_policy` (included | estimate | at_cost) and
`travel_estimate` (required when the policy is estimate). Consultants may add `packages`,
up to five non-overlapping headcount bands separated by `;`, each `MIN-MAX:PRICE`: a fixed
fee (`1-10:2500;11-50:4000`) or typical days at the day rate (`1-10:3d;11-50:5.5d`, whole or
half days, needs `day_rate`); one row uses fees or days, not both.
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, func, select

from matcher import reference
from matcher.accounts import create_user, send_invitation
from matcher.accreditation import ensure_accreditation_bodies, find_body
from matcher.bands import BandError, parse_bands
from matcher.models import Provider, ProviderKind, ProviderStatus, Role, TravelPolicy, utcnow
from matcher.passwords import password_problem
from matcher.provider_audit import audit
from matcher.providers import create_provider, declare_affiliation, email_taken

REQUIRED_COLUMNS = (
    "kind", "name", "email", "password", "countries", "standards", "sectors", "min_employees",
    "max_employees", "monthly_cap", "day_rate", "currency", "accreditation_body",
    "accreditation_number", "accreditation_expires", "affiliated_with",
)  # fmt: skip
OPTIONAL_COLUMNS = (
    "application_fee", "certificate_fee", "annual_fee", "travel_policy", "travel_estimate",
    "phone", "website", "description", "country", "region", "insurance_expires", "status",
    "packages",
)  # fmt: skip
MONEY_COLUMNS = ("day_rate", "application_fee", "certificate_fee", "annual_fee", "travel_estimate")


@dataclass
class RowError:
    line: int
    email: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.email or 'no e-mail'}): {self.reason}"


@dataclass
class ParsedRow:
    line: int
    email: str
    password: str | None
    status: str | None
    affiliated_with: str | None
    provider: dict[str, Any] = field(default_factory=dict)


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


class _Row:
    """Reads one CSV row, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: dict[str, str]):
        self.raw = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        self.problems: list[str] = []

    def text(self, name: str, *, max_length: int, required: bool = False) -> str | None:
        value = self.raw.get(name, "")
        if required and not value:
            self.problems.append(f"{name} is missing")
        if len(value) > max_length:
            self.problems.append(f"{name} is longer than {max_length} characters")
        return value or None

    def integer(self, name: str, default: int, *, low: int = 1, high: int = 1_000_000) -> int:
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
        value = self.raw.get(name, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
            return None


def parse_rows(session: Session, handle: TextIO, *, today: date) -> tuple[list, list]:
    """Check every row; return (parsed rows, errors). Writes nothing but accreditation bodies."""
    ensure_accreditation_bodies(session)
    reader = csv.DictReader(handle)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        reason = "; ".join(
            ([f"missing columns: {', '.join(missing)}"] if missing else [])
            + ([f"unknown columns: {', '.join(unknown)}"] if unknown else [])
        )
        return [], [RowError(1, "", reason)]
    reader.fieldnames = header
    rows, errors, seen = [], [], set()
    for index, raw in enumerate(reader):
        line = reader.line_num if reader.line_num else index + 2
        row = _Row(raw)
        parsed = _parse_row(session, row, line=line, seen=seen, today=today)
        if row.problems:
            errors.append(RowError(line, row.raw.get("email", ""), "; ".join(row.problems)))
        else:
            rows.append(parsed)
    known = {r.email for r in rows} | seen
    for parsed in rows:
        target = parsed.affiliated_with
        if target and target not in known and _provider_by_email(session, target) is None:
            errors.append(
                RowError(parsed.line, parsed.email, f"affiliated_with {target} is no provider")
            )
    if not rows and not errors:
        errors.append(RowError(1, "", "the file has no provider rows"))
    return rows, sorted(errors, key=lambda e: e.line)


def _parse_row(session, row: _Row, *, line: int, seen: set, today: date) -> ParsedRow:
    kind = row.raw.get("kind", "")
    if kind not in (ProviderKind.CONSULTANT, ProviderKind.CERTIFICATION_BODY):
        row.problems.append(f"kind {kind!r} is not consultant or certification_body")
    is_cb = kind == ProviderKind.CERTIFICATION_BODY
    email = _email(row, session, seen)
    password = row.raw.get("password") or None
    if password and (problem := password_problem(password, [email])):
        row.problems.append(f"password refused: {problem}")
    countries = _split(row.raw.get("countries", ""))
    bad = [c for c in countries if c.upper() not in reference.countries()]
    if bad or not countries:
        row.problems.append(f"unknown country {', '.join(bad)}" if bad else "countries is missing")
    standards = [s.lower() for s in _split(row.raw.get("standards", ""))]
    bad = [s for s in standards if s not in reference.STANDARDS]
    if bad or not standards:
        row.problems.append(f"unknown standard {', '.join(bad)}" if bad else "standards is missing")
    sectors = _sectors(row, is_cb)
    low, high = row.integer("min_employees", 1), row.integer("max_employees", 100_000)
    if low > high:
        row.problems.append(f"min_employees {low} is greater than max_employees {high}")
    money = {name: row.money(name) for name in MONEY_COLUMNS}
    currency = (row.raw.get("currency") or "").upper() or None
    if currency and currency not in reference.currencies():
        row.problems.append(f"unknown currency {currency}")
    if money["day_rate"] is not None and not currency:
        row.problems.append("currency is missing for the day rate")
    if money["travel_estimate"] is None and row.raw.get("travel_policy") == TravelPolicy.ESTIMATE:
        row.problems.append("travel_estimate is missing for travel_policy estimate")
    packages = _packages(row, is_cb, day_rate=money["day_rate"], currency=currency)
    provider: dict[str, Any] = {
        "kind": kind,
        "name": row.text("name", max_length=200, required=True),
        "countries": [c.upper() for c in countries],
        "standards": standards,
        "sectors": sectors,
        "min_employees": low,
        "max_employees": high,
        "monthly_cap": row.integer("monthly_cap", 20, high=500),
        "currency": currency,
        "phone": row.text("phone", max_length=40),
        "website": row.text("website", max_length=300),
        "description": row.text("description", max_length=2000),
        "region": row.text("region", max_length=120),
        "country": (row.raw.get("country") or (countries[0] if countries else "")).upper() or None,
        "travel_policy": _travel(row),
        "insurance_expires_on": row.day("insurance_expires"),
        "packages": packages,
        **money,
    }
    if is_cb:
        provider |= _accreditation(session, row, today=today)
        provider["scope"] = [(s, sector) for s in standards for sector in sectors]
        if money["day_rate"] is None or not currency:
            row.problems.append("a certification body needs a price: day_rate and currency")
    elif row.raw.get("accreditation_body"):
        row.problems.append("accreditation_body is for certification bodies only")
    status = row.raw.get("status") or None
    if status not in (None, ProviderStatus.PENDING, ProviderStatus.VERIFIED):
        row.problems.append(f"status {status!r} is not pending or verified")
    affiliated = (row.raw.get("affiliated_with") or "").lower() or None
    if affiliated and affiliated == email:
        row.problems.append("a provider cannot be affiliated with itself")
    return ParsedRow(line, email, password, status, affiliated, provider)


def _email(row: _Row, session: Session, seen: set) -> str:
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


def _sectors(row: _Row, is_cb: bool) -> list[int]:
    sectors = []
    for value in _split(row.raw.get("sectors", "")):
        if not value.isdigit() or int(value) not in reference.iaf_sectors():
            row.problems.append(f"unknown IAF sector {value!r}")
        else:
            sectors.append(int(value))
    if is_cb and not sectors and not row.raw.get("sectors"):
        row.problems.append("sectors is missing (a certification body lists its scope)")
    return sectors


def _travel(row: _Row) -> str | None:
    value = row.raw.get("travel_policy") or None
    if value and value not in {t.value for t in TravelPolicy}:
        row.problems.append(f"travel_policy {value!r} is not included, estimate or at_cost")
        return None
    return value


def _packages(row: _Row, is_cb: bool, *, day_rate, currency) -> list[dict[str, Any]]:
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


def _accreditation(session: Session, row: _Row, *, today: date) -> dict[str, Any]:
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


def import_rows(session: Session, rows: list[ParsedRow], *, verified: bool) -> list[Provider]:
    """Create every parsed provider with its login; flush only (the caller commits once)."""
    created: dict[str, Provider] = {}
    for parsed in rows:
        status = ProviderStatus.VERIFIED if verified else (parsed.status or ProviderStatus.PENDING)
        provider = create_provider(session, email=parsed.email, status=status, **parsed.provider)
        if status == ProviderStatus.VERIFIED:
            provider.status_reason = "Imported as verified."
            provider.status_changed_at = utcnow()
            audit(session, action="verify", provider=provider, reason="imported", actor_id=None)
        user = create_user(
            session,
            email=parsed.email,
            password=parsed.password,
            role=Role.PROVIDER,
            provider_id=provider.id,
            email_confirmed=True,
        )
        if parsed.password is None:
            send_invitation(session, user, organisation=provider.name)
        created[parsed.email] = provider
    for parsed in rows:
        if parsed.affiliated_with:
            other = created.get(parsed.affiliated_with) or _provider_by_email(
                session, parsed.affiliated_with
            )
            declare_affiliation(session, created[parsed.email], other)
    session.flush()
    return list(created.values())


def _provider_by_email(session: Session, email: str) -> Provider | None:
    return session.exec(select(Provider).where(func.lower(Provider.email) == email)).first()

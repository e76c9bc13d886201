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
from typing import Any, TextIO

from sqlmodel import Session, func, select

from matcher.accounts.passwords import password_problem
from matcher.accounts.users import create_user, send_invitation
from matcher.iso import reference
from matcher.models import (
    AffiliationConfirmation,
    Provider,
    ProviderKind,
    ProviderStatus,
    Role,
    TravelPolicy,
    utcnow,
)
from matcher.providers.accreditation import ensure_accreditation_bodies
from matcher.providers.affiliations import declare
from matcher.providers.audit_log import audit
from matcher.providers.import_cells import (
    CsvRow,
    read_accreditation,
    read_email,
    read_packages,
    read_sectors,
    read_travel,
    split_list,
)
from matcher.providers.profiles import create_provider

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
        row = CsvRow(raw)
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


def _parse_row(session, row: CsvRow, *, line: int, seen: set, today: date) -> ParsedRow:
    kind = row.raw.get("kind", "")
    if kind not in (ProviderKind.CONSULTANT, ProviderKind.CERTIFICATION_BODY):
        row.problems.append(f"kind {kind!r} is not consultant or certification_body")
    is_cb = kind == ProviderKind.CERTIFICATION_BODY
    email = read_email(row, session, seen)
    password = row.raw.get("password") or None
    known = [email, row.raw.get("name", "")]
    if password and (problem := password_problem(password, known)):
        row.problems.append(f"password refused: {problem}")
    countries = split_list(row.raw.get("countries", ""))
    bad = [c for c in countries if c.upper() not in reference.countries()]
    if bad or not countries:
        row.problems.append(f"unknown country {', '.join(bad)}" if bad else "countries is missing")
    standards = [s.lower() for s in split_list(row.raw.get("standards", ""))]
    bad = [s for s in standards if s not in reference.STANDARDS]
    if bad or not standards:
        row.problems.append(f"unknown standard {', '.join(bad)}" if bad else "standards is missing")
    sectors = read_sectors(row, is_cb)
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
    packages = read_packages(row, is_cb, day_rate=money["day_rate"], currency=currency)
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
        "travel_policy": read_travel(row),
        "insurance_expires_on": row.day("insurance_expires"),
        "packages": packages,
        **money,
    }
    if is_cb:
        provider |= read_accreditation(session, row, today=today)
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
            # Only an admin runs the import: its affiliations count as approved by one.
            declare(
                session,
                created[parsed.email],
                other,
                actor_id=None,
                confirmed_via=AffiliationConfirmation.IMPORT,
            )
    session.flush()
    return list(created.values())


def _provider_by_email(session: Session, email: str) -> Provider | None:
    return session.exec(select(Provider).where(func.lower(Provider.email) == email)).first()

"""`certmatch import-providers` (all-or-nothing, bad rows named), `create-admin`, `seed-demo`."""

import csv
import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from matcher.accounts.passwords import verify_password
from matcher.models import (
    AccreditationScope,
    Affiliation,
    OutboxMessage,
    Provider,
    ProviderStatus,
    Role,
    User,
)
from tests.provider_factories import make_provider

COLUMNS = [
    "kind", "name", "email", "password", "countries", "standards", "sectors", "min_employees",
    "max_employees", "monthly_cap", "day_rate", "currency", "accreditation_body",
    "accreditation_number", "accreditation_expires", "affiliated_with",
]  # fmt: skip
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
PASSWORD = "violet trombone quarry seventy"


def cb_row(**overrides) -> dict:
    return {
        "kind": "certification_body", "name": "NorthCert Ltd", "email": "cb@northcert.example",
        "password": PASSWORD, "countries": "GB;IE", "standards": "iso9001;iso14001",
        "sectors": "17;18", "min_employees": "1", "max_employees": "500", "monthly_cap": "20",
        "day_rate": "950", "currency": "GBP", "accreditation_body": "UKAS",
        "accreditation_number": "0123", "accreditation_expires": NEXT_YEAR, "affiliated_with": "",
        **overrides,
    }  # fmt: skip


def consultant_row(**overrides) -> dict:
    return {
        "kind": "consultant", "name": "Quality Partners", "email": "jo@qp.example",
        "password": "", "countries": "GB", "standards": "iso9001", "sectors": "",
        "min_employees": "1", "max_employees": "100", "monthly_cap": "10", "day_rate": "600",
        "currency": "GBP", "accreditation_body": "", "accreditation_number": "",
        "accreditation_expires": "", "affiliated_with": "cb@northcert.example",
        **overrides,
    }  # fmt: skip


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def certmatch(app_env, *args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "matcher.cli", *args],
        env=app_env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def count(db, model) -> int:
    db.commit()
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_good_file_imports_every_provider_with_scope_logins_and_affiliations(
    app_env, db, tmp_path
):
    path = write_csv(tmp_path / "p.csv", [cb_row(), consultant_row()])
    result = certmatch(app_env, "import-providers", str(path))
    assert result.returncode == 0, result.stderr
    assert "imported 2" in result.stdout
    db.commit()
    cb = db.exec(select(Provider).where(Provider.email == "cb@northcert.example")).one()
    assert cb.status == ProviderStatus.PENDING
    assert count(db, AccreditationScope) == 4
    affiliation = db.exec(select(Affiliation)).one()
    assert affiliation.affiliated_provider_id == cb.id
    # An admin runs the import: its affiliations are in force, and no one is asked to confirm.
    assert affiliation.in_force and affiliation.confirmed_via == "import"
    cb_user = db.exec(select(User).where(User.email == "cb@northcert.example")).one()
    assert cb_user.role == Role.PROVIDER and cb_user.email_confirmed_at is not None
    assert verify_password(cb_user.password_hash, PASSWORD)
    invitation = db.exec(select(OutboxMessage)).one()
    assert invitation.to_email == "jo@qp.example"
    assert "/password/reset/" in invitation.body_text


def test_verified_flag_verifies_every_imported_provider(app_env, db, tmp_path):
    path = write_csv(tmp_path / "p.csv", [cb_row(), consultant_row()])
    assert certmatch(app_env, "import-providers", str(path), "--verified").returncode == 0
    db.commit()
    assert set(db.exec(select(Provider.status))) == {ProviderStatus.VERIFIED}


BAD_ROWS = [
    (cb_row(standards="iso9001;iso99999"), "unknown standard iso99999"),
    (cb_row(sectors="17;40"), "unknown IAF sector '40'"),
    (cb_row(countries="GB;XX"), "unknown country XX"),
    (cb_row(accreditation_body="NOPE"), "unknown accreditation body 'NOPE'"),
    (cb_row(accreditation_expires="2020-01-31"), "accreditation expired on 2020-01-31"),
    (cb_row(min_employees="500", max_employees="10"), "min_employees 500 is greater"),
    (cb_row(day_rate=""), "needs a price"),
    (cb_row(kind="wizard"), "kind 'wizard'"),
    (cb_row(email="not-an-email"), "not a valid address"),
    (cb_row(password="password"), "password refused"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_one_bad_row_fails_the_whole_import_and_names_the_row(app_env, db, tmp_path, bad, reason):
    rows = [consultant_row(affiliated_with=""), bad, consultant_row(email="b@qp.example",
            affiliated_with="")]  # fmt: skip
    path = write_csv(tmp_path / "p.csv", rows)
    result = certmatch(app_env, "import-providers", str(path), "--verified")
    assert result.returncode == 1
    assert f"line 3 ({bad['email']}): " in result.stderr
    assert reason in result.stderr
    assert "line 2" not in result.stderr and "line 4" not in result.stderr
    assert count(db, Provider) == 0
    assert count(db, User) == 0
    assert count(db, OutboxMessage) == 0


def test_duplicate_emails_are_named_in_the_file_and_against_the_database(app_env, db, tmp_path):
    make_provider(db, email="taken@example.com")
    rows = [consultant_row(affiliated_with=""), consultant_row(affiliated_with=""),
            consultant_row(email="taken@example.com", affiliated_with="")]  # fmt: skip
    result = certmatch(app_env, "import-providers", str(write_csv(tmp_path / "p.csv", rows)))
    assert result.returncode == 1
    assert (
        "line 3 (jo@qp.example): duplicate e-mail (already earlier in this file)" in result.stderr
    )
    assert "line 4 (taken@example.com): duplicate e-mail (already registered)" in result.stderr
    assert count(db, Provider) == 1


def test_a_file_with_wrong_columns_is_refused(app_env, tmp_path):
    path = write_csv(tmp_path / "p.csv", [{"kind": "consultant"}], columns=["kind"])
    result = certmatch(app_env, "import-providers", str(path))
    assert result.returncode == 1
    assert "line 1" in result.stderr and "missing columns" in result.stderr


def test_parse_rows_reads_the_documented_columns_without_touching_providers(db):
    from matcher.providers.importing import parse_rows

    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(cb_row())
    handle.seek(0)
    rows, errors = parse_rows(db, handle, today=date.today())
    assert errors == []
    assert rows[0].provider["scope"] == [
        ("iso9001", 17), ("iso9001", 18), ("iso14001", 17), ("iso14001", 18),
    ]  # fmt: skip


def test_create_admin_reads_the_password_from_stdin(app_env, db):
    result = certmatch(app_env, "create-admin", "Chief@CertMatch.example",
                       stdin="lantern crocus admin demo\nignored\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    db.commit()
    admin = db.exec(select(User)).one()
    assert (admin.email, admin.role) == ("chief@certmatch.example", Role.ADMIN)
    assert verify_password(admin.password_hash, "lantern crocus admin demo")
    again = certmatch(app_env, "create-admin", "chief@certmatch.example",
                      stdin="lantern crocus admin demo\n")  # fmt: skip
    assert again.returncode == 1 and "already has an account" in again.stderr


def test_create_admin_refuses_a_weak_password(app_env, db):
    result = certmatch(app_env, "create-admin", "chief@certmatch.example", stdin="password1\n")
    assert result.returncode == 1
    assert "password refused" in result.stderr
    assert count(db, User) == 0


def test_seed_demo_builds_a_market_once_with_working_logins(app, db, client):
    from matcher.demo.data import seed_demo
    from matcher.models import ProviderCountry, ProviderKind
    from tests.auth_helpers import login, logout

    logins = seed_demo(app, known_logins=True)
    providers_after_first = count(db, Provider)
    assert seed_demo(app, known_logins=True) == logins
    assert count(db, Provider) == providers_after_first >= 60
    assert count(db, Affiliation) > 0
    countries = set(db.exec(select(ProviderCountry.country)))
    assert {"GB", "DE", "FR", "NL", "ES", "IT", "US", "ZA"} <= countries
    statuses = set(db.exec(select(Provider.status)))
    assert {ProviderStatus.PENDING, ProviderStatus.VERIFIED} <= statuses
    assert set(db.exec(select(Provider.kind))) == set(ProviderKind)
    gb_iso9001_sector17_cbs = db.exec(
        select(func.count(func.distinct(Provider.id)))
        .join(AccreditationScope, AccreditationScope.provider_id == Provider.id)
        .join(ProviderCountry, ProviderCountry.provider_id == Provider.id)
        .where(Provider.status == ProviderStatus.VERIFIED, ProviderCountry.country == "GB")
        .where(AccreditationScope.standard == "iso9001", AccreditationScope.sector == 17)
        .where(Provider.min_employees <= 45, Provider.max_employees >= 45)
    ).one()
    assert gb_iso9001_sector17_cbs >= 3
    roles = [role for role, _, _ in logins]
    assert roles[0] == "admin" and len(roles) >= 2
    for role, email, password in logins:
        response = login(client, email, password)
        assert response.status_code == 303, (role, email)
        logout(client)

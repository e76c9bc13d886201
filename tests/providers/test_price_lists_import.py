"""Price lists in the import CSV: fees, travel and consultant packages; bad ones fail the file."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from matcher.demo.data import DEMO_CSV
from matcher.iso.bands import BandError, parse_bands
from matcher.models import ConsultantPackage, Provider, User
from matcher.providers.importing import parse_rows
from tests.providers.test_import_providers import (
    COLUMNS,
    PASSWORD,
    cb_row,
    certmatch,
    consultant_row,
    count,
    write_csv,
)

PRICE_COLUMNS = [
    *COLUMNS, "application_fee", "certificate_fee", "annual_fee", "travel_policy",
    "travel_estimate", "packages",
]  # fmt: skip


def priced_cb(**overrides) -> dict:
    fees = {"application_fee": "300", "certificate_fee": "250.5", "annual_fee": "200",
            "travel_policy": "estimate", "travel_estimate": "400", "packages": ""}  # fmt: skip
    return cb_row(**{**fees, **overrides})


def priced_consultant(**overrides) -> dict:
    fields = {"application_fee": "", "certificate_fee": "", "annual_fee": "",
              "travel_policy": "", "travel_estimate": "", "packages": "1-10:2500;11-50:4000",
              "affiliated_with": "", "password": PASSWORD}  # fmt: skip
    return consultant_row(**{**fields, **overrides})


def parse(db, rows):
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=PRICE_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    handle.seek(0)
    return parse_rows(db, handle, today=date.today())


def packages_of(db, email: str) -> list[tuple]:
    db.commit()
    provider = db.exec(select(Provider).where(Provider.email == email)).one()
    rows = db.exec(
        select(ConsultantPackage)
        .where(ConsultantPackage.provider_id == provider.id)
        .order_by(ConsultantPackage.min_employees)
    )
    return [(p.min_employees, p.max_employees, p.fee, p.days) for p in rows]


def test_fees_travel_and_packages_are_imported(app_env, db, tmp_path):
    rows = [
        priced_cb(),
        priced_consultant(),
        priced_consultant(email="days@qp.example", packages="11-50:5.5d;1-10:3d"),
    ]
    path = write_csv(tmp_path / "p.csv", rows, columns=PRICE_COLUMNS)
    result = certmatch(app_env, "import-providers", str(path))
    assert result.returncode == 0, result.stderr
    db.commit()
    cb = db.exec(select(Provider).where(Provider.email == "cb@northcert.example")).one()
    assert (cb.application_fee, cb.certificate_fee, cb.annual_fee) == (
        Decimal("300.00"),
        Decimal("250.50"),
        Decimal("200.00"),
    )
    assert (cb.travel_policy, cb.travel_estimate) == ("estimate", Decimal("400.00"))
    assert packages_of(db, "jo@qp.example") == [
        (1, 10, Decimal("2500.00"), None),
        (11, 50, Decimal("4000.00"), None),
    ]
    assert packages_of(db, "days@qp.example") == [
        (1, 10, None, Decimal("3.0")),
        (11, 50, None, Decimal("5.5")),
    ]


def test_bad_packages_name_the_row_and_nothing_is_imported(app_env, db, tmp_path):
    rows = [
        priced_cb(),
        priced_consultant(packages="1-10:2500;5-50:4000"),
        priced_consultant(email="ok@qp.example"),
    ]
    path = write_csv(tmp_path / "p.csv", rows, columns=PRICE_COLUMNS)
    result = certmatch(app_env, "import-providers", str(path), "--verified")
    assert result.returncode == 1
    assert "line 3 (jo@qp.example): packages '1-10:2500;5-50:4000'" in result.stderr
    assert "overlaps" in result.stderr
    assert "line 2" not in result.stderr and "line 4" not in result.stderr
    assert count(db, Provider) == 0
    assert count(db, ConsultantPackage) == 0
    assert count(db, User) == 0


BAD_PRICE_ROWS = [
    (priced_consultant(packages="1-10"), "is not MIN-MAX:FEE or MIN-MAX:DAYSd"),
    (priced_consultant(packages="10-1:2500"), "first headcount is larger"),
    (priced_consultant(packages="1-10:2500;10-20:3000"), "band 10-20 overlaps band 1-10"),
    (priced_consultant(packages="1-10:3d;11-20:4000"), "fees for every band or days"),
    (priced_consultant(packages="1-10:-5"), "the fee must be"),
    (priced_consultant(packages="1-10:0"), "the fee must be"),
    (priced_consultant(packages="1-10:abc"), "'abc' is not a number"),
    (priced_consultant(packages="1-10:NaN"), "is not a number"),
    (priced_consultant(packages="1-10:2.3d"), "whole or half days"),
    (priced_consultant(packages="0-10:100"), "employees must be"),
    (priced_consultant(packages=";".join(f"{n}-{n}:100" for n in range(1, 7))), "at most 5"),
    (priced_consultant(packages="1-10:3d", day_rate=""), "day_rate is missing"),
    (priced_consultant(packages="1-10:2500", day_rate="", currency=""), "currency is missing"),
    (priced_cb(packages="1-10:2500"), "packages is for consultants only"),
    (priced_cb(travel_estimate=""), "travel_estimate is missing"),
    (priced_cb(travel_policy="teleport"), "travel_policy 'teleport'"),
    (priced_cb(application_fee="-1"), "application_fee '-1' is not an amount"),
    (priced_cb(annual_fee="lots"), "annual_fee 'lots' is not an amount"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_PRICE_ROWS)
def test_every_bad_price_is_named_with_its_row(db, bad, reason):
    rows, errors = parse(db, [priced_consultant(email="first@qp.example"), bad])
    assert [error.line for error in errors] == [3]
    assert errors[0].email == bad["email"]
    assert reason in errors[0].reason
    assert [row.email for row in rows] == ["first@qp.example"]


def test_band_text_reads_fees_and_days_in_order():
    assert parse_bands(" 51-250 : 6500 ; 1-50:4000 ") == [
        {"min_employees": 1, "max_employees": 50, "fee": Decimal("4000.00"), "days": None},
        {"min_employees": 51, "max_employees": 250, "fee": Decimal("6500.00"), "days": None},
    ]
    assert parse_bands("1-10:3D")[0]["days"] == Decimal("3")
    with pytest.raises(BandError, match="no band"):
        parse_bands(" ; ")


def test_the_demo_file_prices_every_cb_and_gives_several_consultants_packages(db):
    with open(DEMO_CSV, newline="", encoding="utf-8") as handle:
        rows, errors = parse_rows(db, handle, today=date.today())
    assert errors == []
    cbs = [r.provider for r in rows if r.provider["kind"] == "certification_body"]
    consultants = [r.provider for r in rows if r.provider["kind"] == "consultant"]
    assert cbs and all(cb["day_rate"] and cb["currency"] and cb["annual_fee"] for cb in cbs)
    packaged = [c for c in consultants if c["packages"]]
    assert len(packaged) >= 5
    assert {band["fee"] is None for c in packaged for band in c["packages"]} == {True, False}

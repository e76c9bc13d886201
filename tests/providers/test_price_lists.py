"""Price lists on the profile: a CB's fees and travel, a consultant's bands; bad input refused."""

import re
from decimal import Decimal

import pytest
from sqlmodel import select

from matcher.models import ConsultantPackage, Provider, ProviderKind
from matcher.providers.accreditation import find_body
from tests.auth_helpers import PROVIDER_PASSWORD, csrf_token, login, make_provider_user
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider


def _client_for(client, db, **provider_fields):
    provider = make_provider(db, countries=["GB"], standards=["iso9001"], **provider_fields)
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    client.provider = provider
    return client


@pytest.fixture
def cb_client(client, db):
    return _client_for(
        client, db, kind=ProviderKind.CERTIFICATION_BODY, sectors=[17], accreditation_number="U-1"
    )


@pytest.fixture
def consultant_client(client, db):
    return _client_for(client, db, kind=ProviderKind.CONSULTANT, day_rate=Decimal("600"))


def cb_data(client, db, **overrides) -> dict:
    db.commit()
    provider = db.get(Provider, client.provider.id)
    return {
        "csrf_token": csrf_token(client, "/provider/profile"),
        "name": provider.name, "country": "GB", "countries": ["GB"], "standards": ["iso9001"],
        "sectors": ["17"], "min_employees": "1", "max_employees": "500", "monthly_cap": "20",
        "day_rate": "1000.00", "currency": "GBP",
        "accreditation_body": str(find_body(db, "UKAS").id), "accreditation_number": "U-1",
        "accreditation_expires": provider.accreditation_expires_on.isoformat(),
        **overrides,
    }  # fmt: skip


def consultant_data(client, db, bands=(), **overrides) -> dict:
    db.commit()
    provider = db.get(Provider, client.provider.id)
    data = {
        "csrf_token": csrf_token(client, "/provider/profile"),
        "name": provider.name, "country": "GB", "countries": ["GB"], "standards": ["iso9001"],
        "min_employees": "1", "max_employees": "500", "monthly_cap": "20",
        "day_rate": "600.00", "currency": "GBP", "package_pricing": "fixed",
    }  # fmt: skip
    for index, band in enumerate(bands):
        for name, value in zip(
            ("min_employees", "max_employees", "fee", "days"), band, strict=True
        ):
            data[f"packages-{index}-{name}"] = value
    return {**data, **overrides}


def bands_of(db, provider_id: int) -> list[tuple]:
    db.commit()
    db.expire_all()
    rows = db.exec(
        select(ConsultantPackage)
        .where(ConsultantPackage.provider_id == provider_id)
        .order_by(ConsultantPackage.min_employees)
    )
    return [(p.min_employees, p.max_employees, p.fee, p.days) for p in rows]


def snapshot(db, provider_id: int):
    db.commit()
    db.expire_all()
    return db.get(Provider, provider_id).model_dump(), bands_of(db, provider_id)


def test_a_cb_sets_its_fees_and_travel_estimate_which_count_at_once(cb_client, db):
    data = cb_data(
        cb_client, db, day_rate="1100", currency="EUR", application_fee="300",
        certificate_fee="250", annual_fee="200", travel_policy="estimate", travel_estimate="450",
    )  # fmt: skip
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    db.commit()
    provider = db.get(Provider, cb_client.provider.id)
    assert (provider.day_rate, provider.currency) == (Decimal("1100.00"), "EUR")
    assert (provider.application_fee, provider.certificate_fee, provider.annual_fee) == (
        Decimal("300.00"),
        Decimal("250.00"),
        Decimal("200.00"),
    )
    assert (provider.travel_policy, provider.travel_estimate) == ("estimate", Decimal("450.00"))
    assert provider.pending_changes is None  # a price list is not reviewed by an admin
    page = cb_client.get("/provider/profile").get_data(as_text=True)
    assert 'value="450.00"' in page


def test_a_cb_day_rate_and_currency_alone_are_a_price_list(cb_client, db):
    data = cb_data(cb_client, db, day_rate="875", application_fee="", travel_policy="")
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    db.commit()
    provider = db.get(Provider, cb_client.provider.id)
    assert provider.day_rate == Decimal("875.00")
    assert provider.application_fee is None and provider.travel_policy is None


def test_a_travel_estimate_is_dropped_when_travel_is_not_estimated(cb_client, db):
    data = cb_data(cb_client, db, travel_policy="at_cost", travel_estimate="450")
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    db.commit()
    assert db.get(Provider, cb_client.provider.id).travel_estimate is None


BAD_CB_PRICES = [
    ({"travel_policy": "estimate", "travel_estimate": ""}, "travel_estimate"),
    ({"travel_policy": "estimate", "travel_estimate": "-5"}, "travel_estimate"),
    ({"application_fee": "NaN"}, "application_fee"),
    ({"certificate_fee": "sNaN"}, "certificate_fee"),
    ({"annual_fee": "Infinity"}, "annual_fee"),
    ({"day_rate": "abc"}, "day_rate"),
    ({"currency": ""}, "currency"),
    ({"currency": "EURO"}, "currency"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CB_PRICES)
def test_every_bad_cb_price_gets_a_field_error_and_writes_nothing(cb_client, db, change, field):
    before = snapshot(db, cb_client.provider.id)
    response = cb_client.post("/provider/profile", data=cb_data(cb_client, db, **change))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert snapshot(db, cb_client.provider.id) == before


def test_a_consultant_saves_fixed_packages_and_sees_them_again(consultant_client, db):
    bands = [("11", "50", "4000", ""), ("1", "10", "2500", "3"), ("", "", "", "")]
    data = consultant_data(consultant_client, db, bands)
    assert consultant_client.post("/provider/profile", data=data).status_code == 303
    assert bands_of(db, consultant_client.provider.id) == [
        (1, 10, Decimal("2500.00"), Decimal("3.0")),
        (11, 50, Decimal("4000.00"), None),
    ]
    page = consultant_client.get("/provider/profile").get_data(as_text=True)
    assert 'name="packages-0-fee"' in page and 'value="2500.00"' in page
    assert 'name="packages-4-min_employees"' in page  # room for five bands

    # Saving again with one band left replaces the list.
    data = consultant_data(consultant_client, db, [("1", "25", "3000", "")])
    assert consultant_client.post("/provider/profile", data=data).status_code == 303
    assert bands_of(db, consultant_client.provider.id) == [(1, 25, Decimal("3000.00"), None)]


def test_a_consultant_saves_typical_days_priced_at_its_day_rate(consultant_client, db):
    bands = [("1", "10", "", "3"), ("11", "50", "", "5.5")]
    data = consultant_data(consultant_client, db, bands, package_pricing="daily")
    assert consultant_client.post("/provider/profile", data=data).status_code == 303
    assert bands_of(db, consultant_client.provider.id) == [
        (1, 10, None, Decimal("3.0")),
        (11, 50, None, Decimal("5.5")),
    ]
    page = consultant_client.get("/provider/profile").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="package_pricing"[^>]*value="daily"', page)


def test_emptying_every_band_leaves_a_consultant_with_its_day_rate_alone(consultant_client, db):
    data = consultant_data(consultant_client, db, [("1", "10", "2500", "")])
    assert consultant_client.post("/provider/profile", data=data).status_code == 303
    data = consultant_data(consultant_client, db, [("", "", "", "")])
    assert consultant_client.post("/provider/profile", data=data).status_code == 303
    assert bands_of(db, consultant_client.provider.id) == []
    assert db.get(Provider, consultant_client.provider.id).day_rate == Decimal("600.00")


BAD_BANDS = [
    ([("1", "10", "2500", ""), ("5", "20", "3000", "")], {}, "packages-1-min_employees"),
    ([("1", "10", "2500", ""), ("10", "20", "3000", "")], {}, "packages-1-min_employees"),
    ([("50", "10", "2500", "")], {}, "packages-0-max_employees"),
    ([("0", "10", "2500", "")], {}, "packages-0-min_employees"),
    ([("abc", "10", "2500", "")], {}, "packages-0-min_employees"),
    ([("1", "", "2500", "")], {}, "packages-0-max_employees"),
    ([("", "10", "2500", "")], {}, "packages-0-min_employees"),
    ([("1", "10", "", "")], {}, "packages-0-fee"),
    ([("1", "10", "-100", "")], {}, "packages-0-fee"),
    ([("1", "10", "0", "")], {}, "packages-0-fee"),
    ([("1", "10", "NaN", "")], {}, "packages-0-fee"),
    ([("1", "10", "1e999", "")], {}, "packages-0-fee"),
    ([("1", "10", "", "")], {"package_pricing": "daily"}, "packages-0-days"),
    ([("1", "10", "", "0")], {"package_pricing": "daily"}, "packages-0-days"),
    ([("1", "10", "", "2.3")], {"package_pricing": "daily"}, "packages-0-days"),
    ([("1", "10", "", "-1")], {"package_pricing": "daily"}, "packages-0-days"),
    ([("1", "10", "2500", "3")], {"package_pricing": "daily"}, "packages-0-fee"),
    ([("1", "10", "", "3")], {"package_pricing": "daily", "day_rate": ""}, "day_rate"),
    ([("1", "10", "2500", "")], {"currency": "", "day_rate": ""}, "currency"),
    ([("1", "10", "2500", "")], {"package_pricing": "hourly"}, "package_pricing"),
]


@pytest.mark.parametrize(("bands", "change", "field"), BAD_BANDS)
def test_every_bad_band_gets_a_field_error_and_writes_nothing(
    consultant_client, db, bands, change, field
):
    good = consultant_data(consultant_client, db, [("1", "20", "3000", "")])
    assert consultant_client.post("/provider/profile", data=good).status_code == 303
    before = snapshot(db, consultant_client.provider.id)
    data = consultant_data(consultant_client, db, bands, name="Renamed Ltd", **change)
    response = consultant_client.post("/provider/profile", data=data)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert snapshot(db, consultant_client.provider.id) == before


def test_a_cb_never_gets_bands_from_the_profile(cb_client, db):
    data = cb_data(cb_client, db, **{"packages-0-min_employees": "1", "packages-0-fee": "x"})
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    assert bands_of(db, cb_client.provider.id) == []
    assert 'name="packages-0-fee"' not in cb_client.get("/provider/profile").get_data(as_text=True)

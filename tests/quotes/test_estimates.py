"""Instant indicative quotes from a price list and the MD 5 audit time."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.quotes.estimates import (
    CURRENCY_MISMATCH,
    MULTI_SITE,
    NO_PRICE_LIST,
    NO_TABLE,
    Package,
    PriceList,
    RequestFacts,
    estimate,
    split_stages,
)
from matcher.quotes.quote_math import cb_three_year_total, validate_cb_figures

D = Decimal


def cb_prices(**overrides) -> PriceList:
    return PriceList(
        **{"kind": "certification_body", "currency": "EUR", "day_rate": D("1000")} | overrides
    )


def request(*standards, employees=45, sites=1, **extra) -> RequestFacts:
    return RequestFacts(standards=standards, employees=employees, sites=sites, **extra)


def test_iso9001_for_45_people_is_4_initial_days_with_thirds_for_later_years():
    result = estimate(request("iso9001"), cb_prices())
    assert result.available
    assert result.working["initial_days"] == D("4")
    assert result.figures["stage1_days"] + result.figures["stage2_days"] == D("4")
    assert result.figures["surveillance_days"] == D("1.33")
    assert result.figures["recertification_days"] == D("2.67")
    assert result.working["standards"][0]["band"] == "26-45"


def test_the_estimate_is_priced_with_the_three_year_total():
    prices = cb_prices(
        application_fee=D("500"),
        annual_fee=D("400"),
        travel_policy="estimate",
        travel_estimate=D("250"),
    )
    result = estimate(request("iso9001"), prices)
    # (4 initial + 2 x 1.33 surveillance) x 1000 + 500 + 2 x 400 + 250
    assert result.three_year_total == D("8210.00")
    assert result.three_year_total == cb_three_year_total(**result.figures).total
    assert result.working["recertification"]["amount"] == D("2670.00")
    assert result.working["not_stated"] == ["certificate_fee"]


def test_iso27001_for_100_people_comes_from_the_27006_table():
    result = estimate(request("iso27001", employees=100), cb_prices())
    part = result.working["standards"][0]
    assert part["table"] == "ISO/IEC 27006 Table B.1"
    assert part["band"] == "86-125"
    assert result.working["initial_days"] == D("12")
    assert result.figures["surveillance_days"] == D("4.00")
    assert result.figures["recertification_days"] == D("8.00")


def test_iso9001_and_iso14001_are_summed_and_the_working_says_so():
    result = estimate(request("iso9001", "iso14001"), cb_prices())
    assert [p["initial_days"] for p in result.working["standards"]] == [D("4"), D("5.5")]
    assert result.working["initial_days"] == D("9.5")
    assert result.figures["stage1_days"] + result.figures["stage2_days"] == D("9.5")
    assumptions = " ".join(result.working["assumptions"])
    assert "no integration reduction assumed" in assumptions
    assert "ISO 14001: medium complexity assumed" in assumptions


def test_a_known_complexity_replaces_the_medium_assumption():
    result = estimate(request("iso14001", complexities={"iso14001": "high"}), cb_prices())
    assert result.working["initial_days"] == D("7")
    assert not any("assumed" in a for a in result.working["assumptions"])


def test_three_sites_get_no_estimate():
    result = estimate(request("iso9001", sites=3), cb_prices())
    assert not result.available
    assert result.code == MULTI_SITE
    assert result.reason == "multi-site: quote to follow"


def test_a_standard_without_a_table_gets_no_estimate():
    result = estimate(request("iso9001", "iso22000"), cb_prices())
    assert result.code == NO_TABLE
    assert "ISO 22000" in result.reason


@pytest.mark.parametrize(
    "prices",
    [
        PriceList(kind="certification_body", currency="EUR"),
        PriceList(kind="certification_body", day_rate=D("900")),
        PriceList(kind="consultant", currency="EUR", day_rate=D("700")),
        PriceList(kind="consultant", currency="EUR", packages=(Package(1, 50, days=D("8")),)),
        PriceList(kind="consultant", currency="EUR", packages=(Package(50, 99, fee=D("1")),)),
    ],
)
def test_without_a_usable_price_list_the_quote_is_to_follow(prices):
    result = estimate(request("iso9001"), prices)
    assert result.code == NO_PRICE_LIST
    assert "quote to follow" in result.reason


def test_a_price_list_in_another_currency_gets_no_estimate():
    result = estimate(request("iso9001", currency="GBP"), cb_prices())
    assert result.code == CURRENCY_MISMATCH
    assert estimate(request("iso9001", currency="EUR"), cb_prices()).available


def test_a_consultant_estimate_is_the_package_for_the_band():
    packages = (Package(1, 25, fee=D("3000")), Package(26, 100, fee=D("5500"), days=D("10")))
    result = estimate(request("iso9001"), PriceList("consultant", "EUR", packages=packages))
    assert result.figures == {"fee_type": "fixed", "fee": D("5500.00"), "days": D("10")}
    assert result.three_year_total == D("5500.00")
    assert result.working["band"] == "26-100"


def test_a_consultant_estimate_is_typical_days_times_the_day_rate():
    packages = (Package(1, 50, days=D("8.5")),)
    prices = PriceList("consultant", "EUR", day_rate=D("700"), packages=packages)
    result = estimate(request("iso9001"), prices)
    assert result.figures["fee_type"] == "daily"
    assert result.three_year_total == D("5950.00")


def test_the_estimate_can_be_stored_as_json_with_decimals_as_strings():
    result = estimate(request("iso9001"), cb_prices(travel_policy="at_cost"))
    data = json.loads(json.dumps(result.to_json()))
    assert data["figures"]["surveillance_days"] == "1.33"
    assert data["working"]["travel_at_cost"] is True
    assert data["three_year_total"] == "6660.00"
    refusal = json.loads(json.dumps(estimate(request("iso9001", sites=2), cb_prices()).to_json()))
    assert refusal == {
        "code": MULTI_SITE,
        "reason": "multi-site: quote to follow",
        "available": False,
    }


@given(
    st.lists(st.sampled_from(["iso9001", "iso14001", "iso45001", "iso27001"]), min_size=1),
    st.integers(min_value=1, max_value=20_000),
    st.sampled_from(["included", "estimate", "at_cost", None]),
)
def test_estimated_figures_always_pass_the_quote_form_checks(standards, employees, travel):
    prices = cb_prices(travel_policy=travel, travel_estimate=D("300"), annual_fee=D("450"))
    result = estimate(request(*standards, employees=employees), prices)
    figures = {**result.figures, "travel": result.figures["travel"] or "included"}
    assert validate_cb_figures(figures) == {}


@given(
    st.integers(min_value=1, max_value=20_000),
    st.decimals(min_value=1, max_value=5000, places=2),
    st.decimals(min_value=1, max_value=5000, places=2),
)
def test_a_higher_day_rate_never_gives_a_lower_estimate(employees, rate_a, rate_b):
    low, high = sorted((rate_a, rate_b))
    facts = request("iso9001", "iso45001", employees=employees)
    assert (
        estimate(facts, cb_prices(day_rate=low)).three_year_total
        <= estimate(facts, cb_prices(day_rate=high)).three_year_total
    )


@given(st.integers(min_value=2, max_value=400))
def test_stage_split_keeps_the_sum_in_half_days(half_days):
    initial = D(half_days) / 2
    stage1, stage2 = split_stages(initial)
    assert stage1 + stage2 == initial
    assert stage1 % D("0.5") == 0 and stage2 % D("0.5") == 0
    assert stage1 >= D("0.5") and stage2 >= stage1
    assert abs(stage1 - initial / 3) <= D("0.25")

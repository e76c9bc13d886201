"""The three-year total that makes quotes comparable, and the checks on quote figures."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.quotes.quote_math import (
    AT_COST,
    NOT_STATED,
    cb_three_year_total,
    consultant_total,
    days_error,
    money_error,
    validate_cb_figures,
    validate_consultant_figures,
)

D = Decimal

FULL_CB_QUOTE = {
    "stage1_days": D("1.5"),
    "stage2_days": D("2.5"),
    "surveillance_days": D("1.5"),
    "recertification_days": D("3"),
    "day_rate": D("1000"),
    "application_fee": D("500"),
    "certificate_fee": D("300"),
    "annual_fee": D("400"),
    "travel": "estimate",
    "travel_estimate": D("250"),
}


def amounts(total):
    return {line.key: line.amount for line in total.lines}


def test_cb_total_is_audit_days_times_rate_plus_fees_two_annual_fees_and_travel():
    total = cb_three_year_total(**FULL_CB_QUOTE)
    # (1.5 + 2.5 + 2 x 1.5) = 7 days x 1000 + 500 + 300 + 2 x 400 + 250
    assert total.total == D("8850.00")
    assert amounts(total) == {
        "audit_days": D("7000.00"),
        "application_fee": D("500.00"),
        "certificate_fee": D("300.00"),
        "annual_fees": D("800.00"),
        "travel": D("250.00"),
    }


def test_recertification_is_shown_beside_the_total_not_in_it():
    with_recert = cb_three_year_total(**FULL_CB_QUOTE)
    without = cb_three_year_total(**{**FULL_CB_QUOTE, "recertification_days": None})
    assert with_recert.recertification.amount == D("3000.00")
    assert without.recertification is None
    assert with_recert.total == without.total


def test_travel_at_cost_is_flagged_and_left_out_of_the_total():
    at_cost = cb_three_year_total(**{**FULL_CB_QUOTE, "travel": "at_cost"})
    assert at_cost.travel_at_cost is True
    assert amounts(at_cost)["travel"] is None
    assert at_cost.lines[-1].note == AT_COST
    assert at_cost.total == D("8600.00")


def test_travel_included_counts_as_zero():
    included = cb_three_year_total(**{**FULL_CB_QUOTE, "travel": "included"})
    assert amounts(included)["travel"] == D("0")
    assert included.total == D("8600.00")
    assert not included.travel_at_cost


def test_missing_fees_count_as_zero_and_are_reported_as_not_stated():
    bare = cb_three_year_total(
        stage1_days=D("1.5"), stage2_days=D("2.5"), surveillance_days=D("1.33"), day_rate=D("1000")
    )
    assert bare.total == D("6660.00")
    assert bare.not_stated == ("application_fee", "certificate_fee", "annual_fees", "travel")
    assert all(line.note == NOT_STATED for line in bare.lines[1:])


def test_amounts_are_rounded_half_up_to_cents():
    total = cb_three_year_total(
        stage1_days=D("0.5"), stage2_days=D("0"), surveillance_days=D("0"), day_rate=D("0.05")
    )
    assert total.total == D("0.03")  # 0.025 -> 0.03
    assert total.total.as_tuple().exponent == -2


def test_required_cb_figures_must_be_given():
    with pytest.raises(ValueError, match="day_rate"):
        cb_three_year_total(
            stage1_days=D(1), stage2_days=D(1), surveillance_days=D(1), day_rate=None
        )


def test_an_unknown_travel_policy_is_refused():
    with pytest.raises(ValueError, match="travel"):
        cb_three_year_total(**{**FULL_CB_QUOTE, "travel": "by camel"})


def test_consultant_total_is_the_fixed_fee():
    assert consultant_total(fee_type="fixed", fee=D("4500"), days=D("6")).total == D("4500.00")


def test_consultant_total_is_days_times_day_rate():
    total = consultant_total(fee_type="daily", fee=D("750"), days=D("8.5"))
    assert total.total == D("6375.00")
    assert "8.5 days" in total.lines[0].note


def test_a_daily_consultant_quote_needs_days():
    with pytest.raises(ValueError, match="days"):
        consultant_total(fee_type="daily", fee=D("750"))


def test_a_total_can_be_stored_as_json_with_decimals_as_strings():
    data = json.loads(json.dumps(cb_three_year_total(**FULL_CB_QUOTE).to_json()))
    assert data["total"] == "8850.00"
    assert data["lines"][0]["key"] == "audit_days"
    assert data["recertification"]["amount"] == "3000.00"


money_values = st.decimals(min_value=0, max_value=100_000, places=2)
half_days = st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 2)


@given(half_days, half_days, half_days, money_values, money_values, money_values)
def test_cb_total_never_falls_when_the_day_rate_rises(s1, s2, surv, rate_a, rate_b, fee):
    low, high = sorted((rate_a, rate_b))
    figures = {"stage1_days": s1, "stage2_days": s2, "surveillance_days": surv, "annual_fee": fee}
    assert (
        cb_three_year_total(**figures, day_rate=low).total
        <= cb_three_year_total(**figures, day_rate=high).total
    )


@given(
    half_days,
    half_days,
    money_values,
    st.one_of(st.none(), money_values),
    st.one_of(st.none(), money_values),
    st.sampled_from(["included", "estimate", "at_cost", None]),
    st.one_of(st.none(), money_values),
)
def test_cb_total_is_the_sum_of_its_counted_lines(s1, surv, rate, app, annual, travel, estimate):
    total = cb_three_year_total(
        stage1_days=s1,
        stage2_days=D("1"),
        surveillance_days=surv,
        day_rate=rate,
        application_fee=app,
        annual_fee=annual,
        travel=travel,
        travel_estimate=estimate,
    )
    assert total.total == sum(line.amount for line in total.lines if line.amount is not None)
    if travel == "at_cost":
        assert total.travel_at_cost and total.lines[-1].amount is None


@given(st.decimals(min_value=0, max_value=1000, places=2), half_days, half_days)
def test_daily_consultant_total_never_falls_when_days_rise(rate, days_a, days_b):
    fewer, more = sorted((days_a, days_b))
    assert (
        consultant_total(fee_type="daily", fee=rate, days=fewer).total
        <= consultant_total(fee_type="daily", fee=rate, days=more).total
    )


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "negative"),
        ("1.25", "half days"),
        ("366", "At most"),
        ("abc", "number"),
        ("NaN", "number"),
        ("Infinity", "number"),
        (None, "Enter the number of days"),
    ],
)
def test_bad_day_figures_get_a_message(value, message):
    assert message in days_error(value)


@given(st.integers(min_value=0, max_value=730))
def test_every_half_day_up_to_the_maximum_is_accepted(half_days):
    assert days_error(D(half_days) / 2) is None


@given(st.integers(min_value=0, max_value=400))
def test_quarter_days_are_refused(n):
    assert days_error(D(n) + D("0.25")) is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "negative"), ("1000000000", "At most"), ("10.005", "2 decimals"), ("x", "number")],
)
def test_bad_money_figures_get_a_message(value, message):
    assert message in money_error(value)


def test_empty_optional_money_is_fine_and_required_money_is_not():
    assert money_error("") is None
    assert money_error(None, required=True) == "Enter an amount."


def test_a_complete_cb_quote_passes_validation():
    assert validate_cb_figures(FULL_CB_QUOTE) == {}


def test_surveillance_and_recertification_may_carry_md5_thirds():
    figures = {**FULL_CB_QUOTE, "surveillance_days": "1.33", "recertification_days": "2.67"}
    assert validate_cb_figures(figures) == {}
    assert "stage1_days" in validate_cb_figures({**FULL_CB_QUOTE, "stage1_days": "1.33"})


def test_cb_validation_reports_each_bad_field_by_name():
    errors = validate_cb_figures(
        {
            **FULL_CB_QUOTE,
            "stage1_days": "-1",
            "day_rate": "0",
            "annual_fee": "-2",
            "travel": "teleport",
        }
    )
    assert set(errors) == {"stage1_days", "day_rate", "annual_fee", "travel"}


def test_a_travel_estimate_is_required_when_travel_is_estimated():
    errors = validate_cb_figures({**FULL_CB_QUOTE, "travel_estimate": None})
    assert errors == {"travel_estimate": "Enter an amount."}
    assert (
        validate_cb_figures({**FULL_CB_QUOTE, "travel": "at_cost", "travel_estimate": None}) == {}
    )


def test_zero_initial_audit_days_are_refused():
    errors = validate_cb_figures({**FULL_CB_QUOTE, "stage1_days": "0", "stage2_days": "0"})
    assert errors == {"stage2_days": "Stage 1 + stage 2 must be more than 0 days."}


def test_a_daily_consultant_quote_needs_days_in_halves():
    assert validate_consultant_figures({"fee_type": "fixed", "fee": "4000"}) == {}
    assert validate_consultant_figures({"fee_type": "daily", "fee": "700", "days": "10"}) == {}
    assert "days" in validate_consultant_figures({"fee_type": "daily", "fee": "700"})
    assert "days" in validate_consultant_figures({"fee_type": "daily", "fee": "700", "days": "0"})
    errors = validate_consultant_figures({"fee_type": "hourly", "fee": "-1", "days": "2.2"})
    assert set(errors) == {"fee_type", "fee", "days"}

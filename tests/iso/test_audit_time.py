"""IAF MD 5 minimum audit time and the check of a CB quote's initial days."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.iso import audit_time
from matcher.iso.audit_time import (
    LEVEL_BELOW_70_PERCENT,
    LEVEL_BELOW_MINIMUM,
    LEVEL_OK,
    check_initial_days,
    check_quote_days,
    combined_minimum,
    initial_audit_days,
)
from matcher.iso.reference import read_csv

NO_ACCREDITED_CB = "no accredited certification body may offer this"

TABLE_COLUMNS = [
    ("iso9001", None),
    ("iso27001", None),
    *[("iso14001", c) for c in ("high", "medium", "low", "limited")],
    *[("iso45001", c) for c in ("high", "medium", "low")],
]


def test_45_people_need_4_initial_audit_days_for_iso9001():
    found = initial_audit_days("iso9001", 45)
    assert found.days == Decimal("4")
    assert found.band == "26-45"
    assert found.table == "IAF MD 5 Table QMS 1"
    assert not found.extrapolated


def test_band_edges_belong_to_the_band_they_close():
    assert initial_audit_days("iso9001", 5).days == Decimal("1.5")
    assert initial_audit_days("iso9001", 6).days == Decimal("2")
    assert initial_audit_days("iso9001", 46).days == Decimal("5")


def test_iso27001_is_read_from_the_iso_27006_table():
    found = initial_audit_days("iso27001", 100)
    assert found.days == Decimal("12")
    assert found.band == "86-125"
    assert "27006" in found.table


def test_iso14001_and_iso45001_default_to_medium_complexity_and_say_so():
    for standard in ("iso14001", "iso45001"):
        found = initial_audit_days(standard, 45)
        assert found.days == Decimal("5.5")
        assert found.complexity == "medium"
        assert "medium complexity assumed" in found.notes


def test_a_stated_complexity_picks_its_column_without_an_assumption_note():
    found = initial_audit_days("iso14001", 45, "high")
    assert found.days == Decimal("7")
    assert found.notes == ()
    assert initial_audit_days("iso14001", 45, "limited").days == Decimal("3")


def test_an_unknown_complexity_is_refused():
    with pytest.raises(ValueError, match="complexity"):
        initial_audit_days("iso45001", 45, "limited")  # OH&S has no limited column


@pytest.mark.parametrize("standard", ["iso22000", "iso13485", "iso50001", "nonsense"])
def test_standards_without_a_table_have_no_minimum(standard):
    assert initial_audit_days(standard, 45) is None


def test_a_headcount_below_one_is_refused():
    with pytest.raises(ValueError):
        initial_audit_days("iso9001", 0)


@pytest.mark.parametrize("filename", ["iaf_md5_qms.csv", "iaf_md5_ems.csv", "iaf_md5_ohs.csv"])
def test_md5_tables_cover_every_headcount_without_gaps(filename):
    rows = read_csv(filename)
    assert rows[0]["effective_personnel_min"] == "1"
    for before, after in zip(rows, rows[1:], strict=False):
        assert int(after["effective_personnel_min"]) == int(before["effective_personnel_max"]) + 1
    assert rows[-1]["effective_personnel_max"] == ""


def test_past_the_last_band_the_progression_continues_and_is_flagged():
    last = initial_audit_days("iso9001", 10700)
    first_beyond = initial_audit_days("iso9001", 10701)
    assert not last.extrapolated and first_beyond.extrapolated
    assert first_beyond.days == last.days + 1  # QMS steps one day per band at its end
    low, high = (int(edge) for edge in first_beyond.band.split("-"))
    assert low == 10701 and high > 10701
    assert initial_audit_days("iso9001", high).days == first_beyond.days
    assert initial_audit_days("iso9001", high + 1).days == first_beyond.days + 1
    assert any("extrapolated" in note for note in first_beyond.notes)


@given(
    st.sampled_from(TABLE_COLUMNS),
    st.integers(min_value=1, max_value=200_000),
    st.integers(min_value=1, max_value=200_000),
)
def test_the_minimum_never_falls_as_headcount_grows(table, a, b):
    standard, complexity = table
    small, large = sorted((a, b))
    assert (
        initial_audit_days(standard, small, complexity).days
        <= initial_audit_days(standard, large, complexity).days
    )


def test_surveillance_is_a_third_and_recertification_two_thirds_of_initial():
    assert audit_time.surveillance_days(Decimal("4")) == Decimal("1.33")
    assert audit_time.recertification_days(Decimal("4")) == Decimal("2.67")
    assert audit_time.surveillance_days(Decimal("1.5")) == Decimal("0.50")
    assert audit_time.recertification_days(Decimal("1.5")) == Decimal("1.00")


def test_several_standards_are_summed_without_integration_reduction():
    minimum = combined_minimum(["iso9001", "iso14001"], 45)
    assert minimum.days == Decimal("4") + Decimal("5.5")
    assert minimum.standards == ("iso9001", "iso14001")


def test_untabled_standards_are_listed_beside_the_summed_minimum():
    minimum = combined_minimum(["iso9001", "iso22000"], 45)
    assert minimum.days == Decimal("4")
    assert minimum.untabled == ("iso22000",)
    assert combined_minimum(["iso22000", "iso50001"], 45) is None


def test_one_plus_one_days_for_45_people_gets_the_no_accredited_cb_warning():
    check = check_quote_days(Decimal("1"), Decimal("1"), standards=["iso9001"], employees=45)
    assert check.minimum == Decimal("4")
    assert check.offered == Decimal("2")
    assert check.level == LEVEL_BELOW_70_PERCENT
    assert NO_ACCREDITED_CB in check.warning
    assert "4 days" in check.warning and "45 people" in check.warning


def test_days_just_below_the_minimum_get_a_softer_warning():
    check = check_quote_days(Decimal("1"), Decimal("2"), standards=["iso9001"], employees=45)
    assert check.level == LEVEL_BELOW_MINIMUM
    assert "justification" in check.warning
    assert NO_ACCREDITED_CB not in check.warning


def test_exactly_70_percent_of_the_minimum_is_still_an_allowed_reduction():
    minimum = combined_minimum(["iso9001"], 50)  # 5 days
    assert check_initial_days(Decimal("1"), Decimal("2.5"), minimum).level == LEVEL_BELOW_MINIMUM
    assert check_initial_days(Decimal("1"), Decimal("2"), minimum).level == LEVEL_BELOW_70_PERCENT


def test_days_at_or_above_the_minimum_get_no_warning():
    check = check_quote_days(Decimal("1.5"), Decimal("2.5"), standards=["iso9001"], employees=45)
    assert (check.level, check.warning) == (LEVEL_OK, None)


def test_several_standards_are_checked_against_the_summed_minimum():
    standards = ["iso9001", "iso14001"]
    short = check_quote_days(Decimal("2"), Decimal("5"), standards=standards, employees=45)
    assert short.minimum == Decimal("9.5")
    assert short.level == LEVEL_BELOW_MINIMUM
    assert "ISO 9001 + ISO 14001" in short.warning


def test_a_quote_for_untabled_standards_only_is_not_checked():
    assert check_quote_days(1, 1, standards=["iso22000"], employees=45) is None


def test_an_extrapolated_minimum_is_worded_as_approximate():
    check = check_quote_days(1, 1, standards=["iso9001"], employees=20_000)
    assert "about" in check.warning


@given(
    st.sampled_from(["iso9001", "iso14001", "iso45001", "iso27001"]),
    st.integers(min_value=1, max_value=20_000),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
)
def test_more_days_never_make_the_check_worse(standard, employees, half_days_a, half_days_b):
    rank = {LEVEL_OK: 0, LEVEL_BELOW_MINIMUM: 1, LEVEL_BELOW_70_PERCENT: 2}
    minimum = combined_minimum([standard], employees)
    fewer, more = sorted((Decimal(half_days_a) / 2, Decimal(half_days_b) / 2))
    worse = check_initial_days(fewer, 0, minimum)
    better = check_initial_days(more, 0, minimum)
    assert rank[better.level] <= rank[worse.level]
    assert (worse.warning is None) == (worse.level == LEVEL_OK)
    assert (worse.level == LEVEL_BELOW_70_PERCENT) == (fewer < minimum.days * Decimal("0.7"))

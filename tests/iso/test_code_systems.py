"""Each standard's scope is written in its own code system, read from the shipped CSVs."""

import pytest

from matcher.iso import code_systems
from matcher.iso.code_systems import SYSTEM_OF_STANDARD, codes_for, covers, is_valid, label
from matcher.iso.reference import STANDARDS, iaf_sectors


def test_every_standard_names_its_code_system():
    assert set(SYSTEM_OF_STANDARD) == set(STANDARDS)


@pytest.mark.parametrize("standard", ["iso9001", "iso14001", "iso45001"])
def test_the_three_iaf_standards_use_the_39_iaf_codes(standard):
    assert codes_for(standard) == tuple(str(code) for code in range(1, 40))
    assert is_valid(standard, 17) and is_valid(standard, "017") and not is_valid(standard, 40)


def test_the_iaf_code_names_are_those_of_the_sector_table():
    system = code_systems.code_system(code_systems.IAF)
    assert {int(code): c.name for code, c in system.codes.items()} == iaf_sectors()


def test_iso_27001_asks_no_code():
    assert codes_for("iso27001") == ()
    assert not is_valid("iso27001", "17")
    assert not covers("iso27001", ["17"], "17")


def test_iso_22000_uses_the_2022_food_chain_categories_and_not_the_iaf_codes():
    codes = codes_for("iso22000")
    assert len(codes) == 23 and {"C", "CI", "CIV", "C0", "BIII", "K"} <= set(codes)
    assert not is_valid("iso22000", "17")
    # The 2013 edition's subcategories are gone.
    assert not is_valid("iso22000", "DI") and not is_valid("iso22000", "GII")
    assert is_valid("iso22000", "ci") and code_systems.canonical("iso22000", "CO") == "C0"


def test_iso_13485_uses_the_md9_technical_areas_and_iso_50001_those_of_iso_50003():
    assert len(codes_for("iso13485")) == 42 and is_valid("iso13485", "A.1.1")
    assert is_valid("iso13485", "GVIII") and not is_valid("iso13485", "CI-X")
    assert len(codes_for("iso50001")) == 8 and is_valid("iso50001", "transport")
    assert not is_valid("iso50001", "17")


def test_a_parent_covers_its_children_and_a_child_never_its_parent():
    system = code_systems.code_system(code_systems.ISO22003)
    assert system.children("C") == ("C0", "CI", "CII", "CIII", "CIV")
    assert covers("iso22000", ["C"], "CIII")
    assert not covers("iso22000", ["CI"], "C")
    assert not covers("iso22000", ["CI"], "CII")
    assert covers("iso13485", ["A.1.5"], "EII") and not covers("iso13485", ["A.1.5"], "AI")
    assert covers("iso9001", ["17", "18"], "18") and not covers("iso9001", ["17"], "18")


def test_labels_name_the_code_for_display():
    assert label("iso22000", "ci").startswith("CI - ")
    assert label("iso9001", 17) == f"17 - {iaf_sectors()[17]}"
    assert label("iso27001", "x") == "x"


def test_every_row_of_every_code_file_has_a_source_confidence_and_a_known_parent():
    for key in (code_systems.IAF, code_systems.ISO22003, code_systems.MD9, code_systems.ISO50003):
        system = code_systems.code_system(key)
        for code in system.codes.values():
            assert code.confidence and code.name
            assert code.parent is None or code.parent in system.codes

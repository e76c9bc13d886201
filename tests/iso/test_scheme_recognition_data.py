"""The shipped IAF MLA recognition per body and scheme starts confirmed only on good evidence."""

from matcher.iso import reference, schemes
from matcher.iso.schemes import CONFIRMED, SCHEME_OF_STANDARD, SCHEMES, UNCONFIRMED


def test_every_standard_belongs_to_one_of_the_seven_schemes():
    assert set(SCHEME_OF_STANDARD) == set(reference.STANDARDS)
    assert set(SCHEME_OF_STANDARD.values()) == set(SCHEMES)


def test_every_recognised_body_has_a_row_for_every_scheme():
    bodies = {row["acronym"].lower() for row in reference.accreditation_bodies()}
    rows = schemes.recognitions()
    assert set(rows) == {(acronym, scheme) for acronym in bodies for scheme in SCHEMES}


def test_only_primary_or_corroborated_rows_start_confirmed():
    for row in schemes.recognitions().values():
        if row.status == CONFIRMED:
            assert row.confidence in schemes.CONFIRMING and row.basis
    assert schemes.starting_status("confirmed", "single-secondary") == UNCONFIRMED
    assert schemes.starting_status("confirmed", "UNCERTAIN") == UNCONFIRMED


def test_ukas_is_recognised_for_all_seven_schemes():
    assert {s for s in SCHEMES if schemes.recognition_of("UKAS", s).status == CONFIRMED} == set(
        SCHEMES
    )


def test_well_known_signatories_come_out_recognised_for_what_the_sources_confirm():
    for acronym in ("dakks", "cofrac", "accredia", "enac", "rva", "anab", "jas-anz", "sanas"):
        assert schemes.recognition_of(acronym, "QMS").status == CONFIRMED, acronym
    assert schemes.recognition_of("ANAB", "ISMS").status == CONFIRMED
    assert schemes.recognition_of("ANAB", "OHSMS").status == UNCONFIRMED


def test_a_body_not_on_file_is_unconfirmed_and_says_where_to_check():
    row = schemes.recognition_of("NOWHERE", "QMS")
    assert row.status == UNCONFIRMED and "IAF" in row.basis and "[S" not in row.basis

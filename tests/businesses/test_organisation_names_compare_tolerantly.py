"""One organisation, many spellings: case, accents, punctuation and legal forms make no
difference to `same_organisation_key`; any other letter does.
"""

import pytest

from matcher.businesses.names import same_organisation_key

SAME = [
    ("Acme Consulting Ltd.", "ACME consulting"),
    ("Acme Consulting Limited", "acme-consulting"),
    ("The Acme Consulting Inc", "Acme Consulting"),
    ("Acme Consulting GmbH & Co. KG", "Acme Consulting"),
    ("Qualité Conseil S.à r.l.", "QUALITE CONSEIL SARL"),
    ("Qualité Conseil SAS", "Qualite Conseil"),
    ("Müller Beratung AG", "muller beratung"),
    ("Acme S.A.", "Acme SA"),
    ("Acme S.p.A.", "Acme SpA"),
    ("Acme S.r.l.", "Acme Srl"),
    ("Acme B.V.", "Acme BV"),
    ("Acme N.V.", "Acme"),
    ("Acme LLC", "Acme PLC"),
    ("Acme Sp. z o.o.", "Acme"),
    ("Acme A/S", "Acme ApS"),
    ("Acme Oy Ab", "Acme AB"),
    ("Acme S.A. de C.V.", "Acme"),
    ("Smith & Jones", "Smith and Jones Ltd"),
    ("O'Brien Consulting", "OBrien consulting"),
]
DIFFERENT = [
    ("Acme Consulting", "Acme Consultancy"),
    ("Acme Consulting", "Acme"),
    ("Consulting AS", "Consultingas"),
    ("Northern Quality", "Southern Quality"),
]


@pytest.mark.parametrize(("typed", "registered"), SAME)
def test_spellings_of_one_organisation_share_a_key(typed, registered):
    assert same_organisation_key(typed) == same_organisation_key(registered)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_names_that_differ_in_a_letter_of_their_own_do_not(one, other):
    assert same_organisation_key(one) != same_organisation_key(other)


def test_a_name_made_only_of_a_legal_form_keeps_it_and_no_name_has_an_empty_key():
    assert same_organisation_key("Limited") == "limited"
    assert same_organisation_key("...") == ""
    assert same_organisation_key(None) == ""

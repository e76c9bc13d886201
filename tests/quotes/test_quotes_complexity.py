"""A firm CB quote's MD 5 check follows the admin's sector-to-complexity mapping."""

from decimal import Decimal

from matcher.models import ProviderKind, Quote
from matcher.quotes import complexity
from matcher.quotes.figures import days_check
from tests.factories import make_request


def _cb_quote(stage1: str, stage2: str) -> Quote:
    return Quote(
        offer_id=1, request_id=1, provider_id=1, kind=ProviderKind.CERTIFICATION_BODY,
        currency="GBP", stage1_days=Decimal(stage1), stage2_days=Decimal(stage2),
    )  # fmt: skip


def test_a_high_complexity_sector_raises_the_iso_14001_minimum_a_quote_is_checked_against(db):
    quote_request = make_request(db, standards="iso14001", sector=12, employees=45)
    quote = _cb_quote("2", "3.5")  # 5.5 days: the medium minimum for 26-45 employees

    assert days_check(db, quote, quote_request).level == "ok"

    complexity.set_complexity(db, standard="iso14001", sector=12, complexity="high", actor_id=None)
    db.commit()
    check = days_check(db, quote, quote_request)
    assert check.minimum == Decimal("7")
    assert check.level == "below_minimum"
    assert check.warning

"""A consultant's headcount bands as text: `1-10:2500;11-50:4000` or `1-10:3d;11-50:5.5d`.

Pure: the import reads the `packages` column with it. Each band is `MIN-MAX:PRICE`, where the
price is a fixed fee or, ending in `d`, typical days at the consultant's day rate.
"""

import re
from decimal import Decimal, InvalidOperation

MAX_BANDS = 5
MAX_EMPLOYEES = 1_000_000
MAX_FEE = Decimal(1_000_000)
MAX_DAYS = Decimal(365)

_BAND = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*:\s*(\S+?)\s*$", re.ASCII)


class BandError(ValueError):
    """Text that is not a valid set of headcount bands."""


def parse_bands(text: str) -> list[dict]:
    """Parse bands into ConsultantPackage values (min/max employees, fee or days)."""
    parts = [part for part in text.split(";") if part.strip()]
    if not parts:
        raise BandError("no band given")
    if len(parts) > MAX_BANDS:
        raise BandError(f"at most {MAX_BANDS} bands")
    bands = [_band(part) for part in parts]
    if len({band["fee"] is None for band in bands}) > 1:
        raise BandError("use fees for every band or days for every band, not both")
    ordered = sorted(bands, key=lambda band: band["min_employees"])
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after["min_employees"] <= before["max_employees"]:
            raise BandError(f"band {_label(after)} overlaps band {_label(before)}")
    return ordered


def _band(part: str) -> dict:
    match = _BAND.match(part)
    if match is None:
        raise BandError(f"{part.strip()!r} is not MIN-MAX:FEE or MIN-MAX:DAYSd")
    low, high, price = int(match[1]), int(match[2]), match[3].lower()
    if not 1 <= low <= MAX_EMPLOYEES or not 1 <= high <= MAX_EMPLOYEES:
        raise BandError(f"{part.strip()!r}: employees must be 1 to {MAX_EMPLOYEES:,}")
    if low > high:
        raise BandError(f"{part.strip()!r}: the first headcount is larger than the second")
    days = price.endswith("d")
    amount = _number(price.removesuffix("d"), part)
    if days:
        if not Decimal("0.5") <= amount <= MAX_DAYS or (amount * 2) % 1:
            raise BandError(f"{part.strip()!r}: days must be whole or half days, 0.5 to 365")
        return {"min_employees": low, "max_employees": high, "fee": None, "days": amount}
    if not 1 <= amount <= MAX_FEE:
        raise BandError(f"{part.strip()!r}: the fee must be 1 to {MAX_FEE:,}")
    return {
        "min_employees": low,
        "max_employees": high,
        "fee": amount.quantize(Decimal("0.01")),
        "days": None,
    }


def _number(text: str, part: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BandError(f"{part.strip()!r}: {text!r} is not a number") from None
    if not value.is_finite():
        raise BandError(f"{part.strip()!r}: {text!r} is not a number")
    return value


def _label(band: dict) -> str:
    return f"{band['min_employees']}-{band['max_employees']}"

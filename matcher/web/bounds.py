"""Numbers from URLs and query strings, bounded so no database column overflows on them."""

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

# Every id column is a PostgreSQL `integer` (SQLite accepts more): a larger id names no row.
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class BoundedIntConverter(IntegerConverter):
    """The `int` URL converter, refusing (404) a value no `integer` column holds."""

    # werkzeug's parameter names, so `<int(signed=True):...>` and friends keep working.
    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        if signed and min is None:
            min = -MAX_ID - 1
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_arg(name: str = "page") -> int:
    """The page number in the query string (1 when absent); 400 if not a number, 404 if no page."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return 1
    if not _WHOLE_NUMBER.fullmatch(raw):
        abort(400, description=f"The {name} must be a whole number.")
    # A number too long to be any page is not converted at all (int() of it costs time).
    page = int(raw) if len(raw) <= 20 else 0
    if not 1 <= page <= MAX_ID:
        abort(404, description=f"There is no such {name}.")
    return page

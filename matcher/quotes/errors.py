"""Refused transitions: a message for the person who tried, raised before anything changed."""

from datetime import datetime


class QuoteError(Exception):
    """A transition the current state refuses; nothing was changed unless `keeps_changes`."""

    # Only ProviderGone changes something before refusing; the caller commits it.
    keeps_changes = False

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(QuoteError):
    """The offer or quote does not exist for the one asking (shown as a 404)."""

    def __init__(self, what: str = "lead"):
        super().__init__(f"No such {what}.", "not_found")


class ProviderGone(QuoteError):
    """CertMatch no longer vouches for the provider: its lead was taken back, then refused.

    The caller commits, so the lead stays freed and its slot goes back to the market.
    """

    keeps_changes = True


class InvalidFigures(QuoteError):
    """The quote's figures are not acceptable: field name -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Please correct the figures marked below.", "invalid")
        self.errors = errors


def long_date(moment: datetime) -> str:
    """A moment as refusals write it: "07 March 2025"."""
    return moment.strftime("%d %B %Y")

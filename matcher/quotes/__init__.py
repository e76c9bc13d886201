"""Transitional: the quotes module moves into this package; the next commit splits it."""

from matcher.quotes.decisions import *  # noqa: F403

"""Leads: match and re-match runs, the offers they make, reminders, expiry, re-match mail,
and what became of a request's offers (offer_outcomes).

May import businesses, candidates, matching, providers, quotes and the ground floor.
"""

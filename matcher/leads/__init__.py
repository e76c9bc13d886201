"""Leads: match and re-match runs, the offers they make, reminders, expiry, re-match mail.

May import businesses, candidates, matching, providers, quotes and the ground floor.
"""

"""Logins: users, passwords, sessions, single-use mail links and two-factor sign-in.

May import the ground floor only (models, outbox, links).
"""

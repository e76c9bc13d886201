"""Answering leads and choosing quotes: every transition of an offer, a quote and a request.

A provider quotes or declines a lead (answers); the business accepts, declines, withdraws and
rates (decisions); offers still open when a request ends are closed and their providers told
(outcomes). Each transition locks the request row first (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's BEGIN IMMEDIATE already serialises writers), then re-reads what it decides on
(state), so two people acting at the same moment leave one consistent state. A refused
transition raises QuoteError (errors) with a message for the person who tried, before
anything is changed. Flush, never commit.
"""

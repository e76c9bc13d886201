"""Providers as CertMatch knows them: profiles, accreditation, vouching, evidence, edits,
track record, affiliations, joining and import.

May import accounts, businesses, iso, matching and the ground floor; never quotes, leads or
vetting (those act on providers, not the other way round).
"""

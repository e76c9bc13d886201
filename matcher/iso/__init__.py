"""The ISO rules as data and pure functions: audit time, bands, code systems, MLA schemes.

Owns IAF MD 5 / MD 1 / MD 11 and ISO/IEC 27006 figures and the CSVs in matcher/data/. Imports
nothing of Flask, the database or any other matcher package: plain data in, plain data out.
"""

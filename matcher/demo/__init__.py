"""The demo's providers, logins and sample requests (`certmatch demo`, `seed-demo`).

Never imported by the product outside the demo commands. May import any domain package.
"""

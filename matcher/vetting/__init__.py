"""An admin's vetting of providers and bodies, and what it sets in motion: verify, reject,
suspend (held leads freed), change review, body recognition, accreditation expiry.

The top of the domain: may import providers, quotes, businesses and the ground floor; only
web, workers and commands import it.
"""

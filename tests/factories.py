"""Plain factory helpers for test data."""

from matcher.models import QuoteRequest, RequestStatus

VALID_FORM = {
    "company_name": "Acme Widgets Ltd",
    "contact_name": "Ann Smith",
    "email": "ann@acme.example",
    "phone": "+44 20 7946 0958",
    "country": "GB",
    "region": "Yorkshire",
    "sector": "17",
    "employees": "45",
    "sites": "1",
    "standards": ["iso9001"],
    "service": "certification",
    "certification_status": "new",
    "timeline": "3_months",
    "current_consultant": "",
    "budget": "",
    "notes": "We make metal brackets.",
    "consent": "y",
}


def request_form(**overrides) -> dict:
    """A valid request-form submission with some fields changed."""
    return {**VALID_FORM, **overrides}


def make_request(session, **overrides) -> QuoteRequest:
    """Insert a quote request directly (status pending unless given) and return it."""
    from matcher.links import new_public_id

    values = {
        "public_id": new_public_id(),
        "fingerprint": new_public_id() * 2,
        "company_name": "Acme Widgets Ltd",
        "contact_name": "Ann Smith",
        "email": "ann@acme.example",
        "phone": "+442079460958",
        "country": "GB",
        "region": "Yorkshire",
        "sector": 17,
        "employees": 45,
        "sites": 1,
        "standards": "iso9001",
        "service": "certification",
        "certification_status": "new",
        "timeline": "3_months",
        "currency": "GBP",
        "status": RequestStatus.PENDING_CONFIRMATION,
        **overrides,
    }
    quote_request = QuoteRequest(**values)
    session.add(quote_request)
    session.commit()
    session.refresh(quote_request)
    return quote_request

"""A verified provider's profile form, sent the way its page fills it in, with changes."""

from matcher.models import Provider, ProviderKind
from tests.auth_helpers import PROVIDER_PASSWORD, csrf_token, login, make_provider_user


def logged_in(client, db, provider):
    """Give the provider a login, log the client in as it, and remember it on the client."""
    make_provider_user(db, provider)
    assert login(client, provider.email, PROVIDER_PASSWORD).status_code == 303
    client.provider = provider
    return client


def profile_form(client, db, **overrides) -> dict:
    """The profile form of the client's provider (GB, ISO 9001, sector 17), with `overrides`."""
    db.commit()
    provider = db.get(Provider, client.provider.id)
    data = {
        "csrf_token": csrf_token(client, "/provider/profile"),
        "name": provider.name, "country": "GB", "countries": ["GB"], "standards": ["iso9001"],
        "sectors": ["17"], "min_employees": "1", "max_employees": "500", "monthly_cap": "20",
        "day_rate": "950.00", "currency": "GBP",
    }  # fmt: skip
    if provider.kind == ProviderKind.CERTIFICATION_BODY:
        data |= {
            "accreditation_body": str(provider.accreditation_body_id),
            "accreditation_number": provider.accreditation_number,
            "accreditation_expires": provider.accreditation_expires_on.isoformat(),
        }
    else:
        data["package_pricing"] = "fixed"
    return {**data, **overrides}


def save_profile(client, db, **overrides):
    """POST the profile form with `overrides`; the response, with `db` reading fresh."""
    response = client.post("/provider/profile", data=profile_form(client, db, **overrides))
    db.rollback()
    db.expire_all()
    return response

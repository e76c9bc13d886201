"""A verified provider's profile: direct edits, reviewed accreditation changes, bad input."""

import io
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from matcher.models import (
    AccreditationScope,
    EvidenceFile,
    Provider,
    ProviderCountry,
    ProviderKind,
)
from matcher.providers.accreditation import find_body
from tests.auth_helpers import PROVIDER_PASSWORD, csrf_token, login, make_provider_user
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider

EXECUTABLE = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


@pytest.fixture
def cb_client(client, db):
    provider = make_provider(
        db, kind=ProviderKind.CERTIFICATION_BODY, countries=["GB"], standards=["iso9001"],
        sectors=[17], accreditation_number="UKAS-1",
    )  # fmt: skip
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    client.provider = provider
    return client


def profile_data(client, db, **overrides) -> dict:
    db.commit()
    provider = db.get(Provider, client.provider.id)
    ukas = find_body(db, "UKAS")
    return {
        "csrf_token": csrf_token(client, "/provider/profile"),
        "name": provider.name, "country": "GB", "countries": ["GB"], "standards": ["iso9001"],
        "sectors": ["17"], "min_employees": "1", "max_employees": "500", "monthly_cap": "20",
        "day_rate": "1000.00", "currency": "GBP", "accreditation_body": str(ukas.id),
        "accreditation_number": "UKAS-1",
        "accreditation_expires": provider.accreditation_expires_on.isoformat(),
        **overrides,
    }  # fmt: skip


def test_the_profile_form_shows_the_current_values(cb_client):
    html = cb_client.get("/provider/profile").get_data(as_text=True)
    assert cb_client.provider.name in html
    assert 'value="UKAS-1"' in html


def test_price_list_and_countries_change_at_once(cb_client, db):
    data = profile_data(cb_client, db, day_rate="1234.50", countries=["GB", "IE"])
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    db.commit()
    provider = db.get(Provider, cb_client.provider.id)
    assert str(provider.day_rate) == "1234.50"
    assert sorted(db.exec(select(ProviderCountry.country))) == ["GB", "IE"]
    assert provider.pending_changes is None


def test_accreditation_and_scope_changes_wait_for_review_while_the_old_ones_keep_working(
    cb_client, db
):
    new_expiry = (date.today() + timedelta(days=900)).isoformat()
    data = profile_data(
        cb_client, db, accreditation_number="UKAS-2", accreditation_expires=new_expiry,
        sectors=["17", "18"],
    )  # fmt: skip
    assert cb_client.post("/provider/profile", data=data).status_code == 303
    db.commit()
    provider = db.get(Provider, cb_client.provider.id)
    assert provider.accreditation_number == "UKAS-1"
    assert db.exec(select(AccreditationScope.sector)).all() == [17]
    assert provider.pending_changes["accreditation_number"] == "UKAS-2"
    assert provider.pending_changes["accreditation_expires_on"] == new_expiry
    assert provider.pending_changes["scope"] == [["iso9001", 17], ["iso9001", 18]]


BAD_PROFILE = [
    ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"description": "Bad\x00byte"}, "description"),
    ({"countries": ["ZZ"]}, "countries"),
    ({"standards": []}, "standards"),
    ({"min_employees": "900", "max_employees": "10"}, "max_employees"),
    ({"monthly_cap": "0"}, "monthly_cap"),
    ({"day_rate": ""}, "day_rate"),
    ({"day_rate": "1e999"}, "day_rate"),
    ({"currency": "XXXX"}, "currency"),
    ({"travel_policy": "teleport"}, "travel_policy"),
    ({"accreditation_expires": "yesterday"}, "accreditation_expires"),
    ({"accreditation_body": "0"}, "accreditation_body"),
]


@pytest.mark.parametrize(("change", "field"), BAD_PROFILE)
def test_every_bad_profile_input_gets_a_field_error_and_writes_nothing(
    cb_client, db, change, field
):
    before = db.get(Provider, cb_client.provider.id).model_dump()
    response = cb_client.post("/provider/profile", data=profile_data(cb_client, db, **change))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    db.commit()
    db.expire_all()
    assert db.get(Provider, cb_client.provider.id).model_dump() == before


def test_a_renamed_executable_upload_is_refused_and_nothing_is_written(
    app, cb_client, db, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    token = csrf_token(cb_client, "/provider/profile")
    response = cb_client.post(
        "/provider/evidence",
        data={"csrf_token": token, "kind": "accreditation_certificate",
              "file": (io.BytesIO(EXECUTABLE), "certificate.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "file")
    db.commit()
    assert db.exec(select(func.count()).select_from(EvidenceFile)).one() == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [({"kind": "passport"}, "kind"), ({}, "file")],
)
def test_an_upload_without_a_file_or_with_an_unknown_kind_is_refused(cb_client, db, data, field):
    token = csrf_token(cb_client, "/provider/profile")
    payload = {"csrf_token": token, "kind": "insurance", **data}
    if field == "kind":
        payload["file"] = (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")
    response = cb_client.post(
        "/provider/evidence", data=payload, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field)

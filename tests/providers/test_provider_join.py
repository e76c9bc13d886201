"""Joining as a provider: one form adapting to the kind, e-mail confirmation, status pending."""

import io
import re

import pytest
from sqlmodel import func, select

from matcher.models import (
    AccreditationScope,
    EvidenceFile,
    Provider,
    ProviderCountry,
    ProviderStatus,
    User,
)
from tests.auth_helpers import csrf_token, login
from tests.page_helpers import field_errors

PASSWORD = "violet trombone quarry seventy"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def consultant_form(**overrides) -> dict:
    return {
        "kind": "consultant",
        "email": "jo@qualitypartners.example",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "name": "Quality Partners Ltd",
        "phone": "+44 113 496 0000",
        "website": "https://qualitypartners.example",
        "description": "ISO 9001 implementation for small manufacturers.",
        "country": "GB",
        "region": "Yorkshire",
        "countries": ["GB", "IE"],
        "standards": ["iso9001", "iso14001"],
        "sectors": ["17", "18"],
        "min_employees": "1",
        "max_employees": "250",
        "day_rate": "650",
        "currency": "GBP",
        "qualification_name": "IRCA lead auditor ISO 9001",
        "qualification_issuer": "CQI/IRCA",
        **overrides,
    }


def cb_form(body_id: str, **overrides) -> dict:
    cb = {
        "kind": "certification_body",
        "email": "office@northcert.example",
        "name": "NorthCert Ltd",
        "accreditation_body": body_id,
        "accreditation_number": "UKAS 0123",
        "accreditation_expires": "2099-12-31",
        "qualification_name": "",
        "qualification_issuer": "",
    }
    return consultant_form(**{**cb, **overrides})


def ukas_id(client, db) -> str:
    from matcher.providers.accreditation import ensure_accreditation_bodies, find_body

    ensure_accreditation_bodies(db)
    db.commit()
    return str(find_body(db, "UKAS").id)


def submit_join(client, data, files=None):
    token = csrf_token(client, "/provider/join")
    payload = {**data, "csrf_token": token}
    if files:
        payload.update(files)
    return client.post("/provider/join", data=payload, content_type="multipart/form-data")


def count(db, model) -> int:
    db.commit()
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_consultant_joins_as_pending_and_must_confirm_the_email(client, db, smtp_sink, jobs):
    response = submit_join(client, consultant_form())
    assert response.status_code == 303
    db.commit()
    provider = db.exec(select(Provider)).one()
    assert provider.status == ProviderStatus.PENDING
    assert provider.kind == "consultant"
    countries = db.exec(select(ProviderCountry.country)).all()
    assert sorted(countries) == ["GB", "IE"]
    assert login(client, "jo@qualitypartners.example", PASSWORD).status_code == 422
    jobs()
    [mail] = smtp_sink.wait_for(1)
    link = re.search(r"http://certmatch\.test(/provider/join/confirm/\S+)", mail.get_content())
    assert client.get(link.group(1)).status_code == 303
    assert login(client, "jo@qualitypartners.example", PASSWORD).status_code == 303
    page = client.get("/provider/", follow_redirects=True)
    assert "under review" in page.get_data(as_text=True)


def test_a_certification_body_joins_with_its_scope_and_certificate(app, client, db, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "evidence")
    files = {"evidence": (io.BytesIO(PDF), "ukas-certificate.pdf")}
    response = submit_join(client, cb_form(ukas_id(client, db)), files)
    assert response.status_code == 303
    db.commit()
    provider = db.exec(select(Provider)).one()
    assert provider.accreditation_number == "UKAS 0123"
    pairs = db.exec(select(AccreditationScope.standard, AccreditationScope.sector)).all()
    assert sorted(pairs) == [("iso14001", 17), ("iso14001", 18), ("iso9001", 17), ("iso9001", 18)]
    evidence = db.exec(select(EvidenceFile)).one()
    assert evidence.content_type == "application/pdf"
    assert (tmp_path / "evidence" / evidence.stored_name).read_bytes() == PDF
    assert "ukas" not in evidence.stored_name


def test_joining_with_a_registered_email_answers_the_same_and_creates_nothing(client, db):
    assert submit_join(client, consultant_form()).status_code == 303
    again = submit_join(client, consultant_form(name="Someone Else Ltd"))
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/provider/join/sent")
    assert count(db, Provider) == 1
    assert count(db, User) == 1


BAD_JOIN_INPUTS = [
    ({"kind": "wizard"}, "kind"),
    ({"email": "not-an-email"}, "email"),
    ({"password": "short", "confirm": "short"}, "password"),
    ({"password": "passwordpassword", "confirm": "passwordpassword"}, "password"),
    ({"confirm": "something else entirely 42"}, "confirm"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Evil\x00Corp"}, "name"),
    ({"countries": []}, "countries"),
    ({"countries": ["XX"]}, "countries"),
    ({"standards": []}, "standards"),
    ({"standards": ["iso99999"]}, "standards"),
    ({"sectors": ["40"]}, "sectors"),
    ({"min_employees": "500", "max_employees": "10"}, "max_employees"),
    ({"min_employees": "0"}, "min_employees"),
    ({"day_rate": "-5"}, "day_rate"),
    ({"day_rate": "lots"}, "day_rate"),
    ({"currency": ""}, "currency"),
    ({"phone": "12"}, "phone"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"description": "y" * 2001}, "description"),
    ({"insurance_expires": "2001-01-01"}, "insurance_expires"),
]


@pytest.mark.parametrize(("change", "field"), BAD_JOIN_INPUTS)
def test_every_bad_join_input_gets_a_field_error_and_writes_nothing(client, db, change, field):
    response = submit_join(client, consultant_form(**change))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert count(db, Provider) == 0
    assert count(db, User) == 0


CB_MISSING = [
    ({"accreditation_body": ""}, "accreditation_body"),
    ({"accreditation_body": "999999"}, "accreditation_body"),
    ({"accreditation_number": ""}, "accreditation_number"),
    ({"accreditation_expires": ""}, "accreditation_expires"),
    ({"accreditation_expires": "2020-01-01"}, "accreditation_expires"),
    ({"day_rate": ""}, "day_rate"),
    ({"sectors": []}, "sectors"),
]


@pytest.mark.parametrize(("change", "field"), CB_MISSING)
def test_a_certification_body_must_give_accreditation_scope_and_price(client, db, change, field):
    response = submit_join(client, cb_form(ukas_id(client, db), **change))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert count(db, Provider) == 0


def test_a_renamed_executable_is_refused_as_evidence_and_nothing_is_written(
    app, client, db, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "evidence")
    files = {"evidence": (io.BytesIO(EXECUTABLE), "certificate.pdf")}
    response = submit_join(client, cb_form(ukas_id(client, db)), files)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "evidence")
    assert count(db, Provider) == 0
    assert count(db, EvidenceFile) == 0
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").iterdir())


def test_an_oversized_evidence_file_is_refused(app, client, db):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    files = {"evidence": (io.BytesIO(PDF + b"0" * 2048), "certificate.pdf")}
    response = submit_join(client, cb_form(ukas_id(client, db)), files)
    assert response.status_code == 422
    assert "too large" in " ".join(field_errors(response.get_data(as_text=True), "evidence"))
    assert count(db, Provider) == 0


def test_join_is_rate_limited(app, client, db):
    app.config["RATE_LIMIT_LOGIN"] = "2 per minute"
    codes = [submit_join(client, consultant_form(name="")).status_code for _ in range(3)]
    assert codes == [422, 422, 429]

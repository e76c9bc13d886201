"""An evidence file downloads under the name of what it is, not of what its uploader called it."""

import io

import pytest
from sqlmodel import select

from matcher.models import EvidenceFile
from matcher.providers.evidence import download_name
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    csrf_token,
    login,
    logout,
    make_admin,
    make_provider_user,
)
from tests.provider_factories import make_provider


def small_pdf() -> bytes:
    """A one-page PDF a reader opens: catalogue, page tree, page, cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def assert_served_as_pdf(response, data: bytes) -> None:
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=payload.pdf"


def test_a_pdf_uploaded_as_payload_html_downloads_as_a_pdf_for_provider_and_admin(
    app, client, db, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    provider = make_provider(db)
    make_provider_user(db, provider)
    make_admin(db)
    pdf = small_pdf()
    login(client, provider.email, PROVIDER_PASSWORD)
    upload = client.post(
        "/provider/evidence",
        data={
            "csrf_token": csrf_token(client, "/provider/profile"),
            "kind": "insurance",
            "file": (io.BytesIO(pdf), "payload.html"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303
    db.commit()
    evidence = db.exec(select(EvidenceFile)).one()
    assert evidence.original_name == "payload.pdf"
    with client.get(f"/provider/evidence/{evidence.id}") as mine:
        assert_served_as_pdf(mine, pdf)
    logout(client)
    login(client, "admin@certmatch.example", ADMIN_PASSWORD)
    with client.get(f"/admin/providers/{provider.id}/evidence/{evidence.id}") as theirs:
        assert_served_as_pdf(theirs, pdf)


def test_a_file_stored_under_its_uploaders_extension_still_downloads_by_its_type(
    app, client, db, tmp_path
):
    # Rows written before names followed the content keep their old name in the database.
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    provider = make_provider(db)
    make_provider_user(db, provider)
    (tmp_path / "old.pdf").write_bytes(small_pdf())
    evidence = EvidenceFile(
        provider_id=provider.id,
        kind="insurance",
        original_name="payload.html",
        stored_name="old.pdf",
        content_type="application/pdf",
        size_bytes=len(small_pdf()),
        sha256="0" * 64,
    )
    db.add(evidence)
    db.commit()
    login(client, provider.email, PROVIDER_PASSWORD)
    with client.get(f"/provider/evidence/{evidence.id}") as response:
        assert_served_as_pdf(response, small_pdf())


@pytest.mark.parametrize(
    ("uploaded", "content_type", "expected"),
    [
        ("payload.html", "application/pdf", "payload.pdf"),
        ("scan.PDF", "application/pdf", "scan.pdf"),
        ("photo.jpeg", "image/jpeg", "photo.jpg"),
        ("report.pdf.exe", "image/png", "report_pdf.png"),
        ("../../etc/passwd", "image/png", "etc_passwd.png"),
        ("<script>.html", "application/pdf", "script.pdf"),
        (".htaccess", "application/pdf", "htaccess.pdf"),
        ("a" * 300 + ".html", "application/pdf", "a" * 200 + ".pdf"),
        ("", "image/jpeg", "evidence.jpg"),
    ],
)
def test_the_download_name_is_the_sanitised_stem_and_the_detected_types_extension(
    uploaded, content_type, expected
):
    assert download_name(uploaded, content_type) == expected

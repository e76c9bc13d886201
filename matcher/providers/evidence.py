"""Evidence uploads: type checked by content, size-limited, stored outside the web root."""

import hashlib
import secrets
from pathlib import Path
from typing import BinaryIO

from flask import Response, abort, current_app, send_file
from sqlmodel import Session, select
from werkzeug.utils import secure_filename

from matcher.models import EvidenceFile, Provider

EVIDENCE_KINDS = {
    "accreditation_certificate": "Accreditation certificate",
    "insurance": "Indemnity insurance",
    "qualification": "Qualification (e.g. lead-auditor certificate)",
    "other": "Other evidence",
}
# Magic bytes -> (content type, extension): what the file is, whatever its name says.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EXTENSIONS = {content_type: extension for _, content_type, extension in SIGNATURES}


class EvidenceError(ValueError):
    """An upload we refuse, with a message for the form."""


def sniff(head: bytes) -> tuple[str, str] | None:
    """Return (content type, extension) for a PDF, PNG or JPEG by its first bytes."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def read_upload(stream: BinaryIO) -> bytes:
    """Read an upload, refusing anything larger than UPLOAD_MAX_BYTES or empty."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceError(f"The file is too large: at most {limit // (1024 * 1024)} MB.")
    if not data:
        raise EvidenceError("The file is empty.")
    return data


def store_evidence(
    session: Session, provider: Provider, *, kind: str, filename: str, stream: BinaryIO
) -> EvidenceFile:
    """Check and store one upload under a random name; flush only."""
    if kind not in EVIDENCE_KINDS:
        raise EvidenceError("Choose what this document is.")
    data = read_upload(stream)
    detected = sniff(data[:16])
    if detected is None:
        raise EvidenceError("Upload a PDF, PNG or JPEG file (the content decides, not the name).")
    content_type, extension = detected
    folder = upload_folder()
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    (folder / stored_name).write_bytes(data)
    evidence = EvidenceFile(
        provider_id=provider.id,
        kind=kind,
        original_name=download_name(filename, content_type),
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(evidence)
    session.flush()
    return evidence


def download_name(uploaded: str | None, content_type: str) -> str:
    """The uploader's name made safe, with the extension of what the file really is."""
    # "payload.html" holding a PDF must reach a browser as a PDF, never as a page to render.
    safe = secure_filename(uploaded or "")
    stem = safe.rsplit(".", 1)[0]
    stem = stem.replace(".", "_")[:200] or "evidence"
    return f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"


def upload_folder() -> Path:
    """The evidence directory (outside the static folder), created on first use."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def evidence_path(evidence: EvidenceFile) -> Path:
    """Where an evidence file's bytes are."""
    return upload_folder() / evidence.stored_name


def evidence_for_provider(session: Session, provider_id: int, evidence_id: int):
    """The evidence file `evidence_id` if it belongs to `provider_id`, else None."""
    return session.exec(
        select(EvidenceFile).where(
            EvidenceFile.id == evidence_id, EvidenceFile.provider_id == provider_id
        )
    ).first()


def evidence_download(session: Session, provider_id: int, evidence_id: int) -> Response:
    """The stored file as an attachment, if it is this provider's; 404 otherwise."""
    evidence = evidence_for_provider(session, provider_id, evidence_id)
    if evidence is None or not evidence_path(evidence).is_file():
        abort(404)
    return send_file(
        evidence_path(evidence),
        mimetype=evidence.content_type,
        as_attachment=True,
        # From the detected type again: rows stored before names followed it keep the old one.
        download_name=download_name(evidence.original_name, evidence.content_type),
    )

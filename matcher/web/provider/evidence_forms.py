"""Evidence a provider uploads: a PDF, PNG or JPEG checked by its content and size."""

from flask import current_app
from flask_wtf.file import FileField
from wtforms import SelectField, ValidationError

from matcher.providers.evidence import EVIDENCE_KINDS, sniff
from matcher.web.forms import SafeForm, choice_list


def checked_upload(form, field):
    """Refuse anything but a PDF, PNG or JPEG (by content) within UPLOAD_MAX_BYTES."""
    upload = field.data
    if not upload or not getattr(upload, "filename", None):
        return
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    head = upload.stream.read(16)
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size == 0:
        raise ValidationError("The file is empty.")
    if size > limit:
        raise ValidationError(f"The file is too large: at most {limit // (1024 * 1024)} MB.")
    if sniff(head) is None:
        raise ValidationError("Upload a PDF, PNG or JPEG file (the content decides, not the name).")


class EvidenceForm(SafeForm):
    """One document added to the provider's evidence."""

    kind = SelectField("Document", choices=choice_list(EVIDENCE_KINDS.items()))
    file = FileField("File (PDF, PNG or JPEG)", [checked_upload])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.file.data or not getattr(self.file.data, "filename", None):
            self.file.errors = [*self.file.errors, "Choose a file to upload."]
            ok = False
        return ok

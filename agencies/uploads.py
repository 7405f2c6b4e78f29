"""Evidence uploads: allowed types checked by extension *and* content, size-limited, stored under a
server-generated name outside the web root."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from iso_tracker.storage import STORAGE_MESSAGE

from .models import Agency, Document, User

# extension → (content type, check of the first bytes / the archive)
PDF, PNG, JPEG, ZIP = b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04"
ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OFFICE_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def _content_matches(extension: str, head: bytes, data: bytes) -> bool:
    if extension == "pdf":
        return head.startswith(PDF)
    if extension == "png":
        return head.startswith(PNG)
    if extension in ("jpg", "jpeg"):
        return head.startswith(JPEG)
    if not head.startswith(ZIP):
        return False
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and OFFICE_PART[extension] in names


def check_upload(upload: UploadedFile) -> str:
    """The file's extension if it may be stored; a ValidationError in the user's language otherwise."""
    limit = settings.UPLOAD_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(_("The file is larger than %(n)s MB.") % {"n": settings.UPLOAD_MAX_MB})
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        raise ValidationError(
            _("Files of type .%(ext)s are not accepted; upload PDF, Word (.docx), Excel (.xlsx), JPG or PNG.")
            % {"ext": extension or "?"}
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not _content_matches(extension, data[:16], data):
        raise ValidationError(
            _("The content of “%(name)s” is not a real .%(ext)s file.") % {"name": upload.name, "ext": extension}
        )
    return extension


def document_store(*, agency: Agency, upload: UploadedFile, actor: User | None) -> Document:
    extension = check_upload(upload)
    document = Document(
        agency=agency,
        original_name=PurePath(upload.name).name[:255],
        content_type=ALLOWED[extension],
        size=upload.size,
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    try:
        document.file.save("upload", upload, save=False)
    except OSError as exc:  # the disk is full or read-only: no row, no partial file (SafeFileSystemStorage)
        raise ValidationError(STORAGE_MESSAGE) from exc
    try:
        document.save()
    except BaseException:  # the database refused it: the stored file would belong to nothing
        document.file.delete(save=False)
        raise
    return document

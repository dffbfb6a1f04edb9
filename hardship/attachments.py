"""Attachments (证明材料): what an upload really is, who may add one, and keeping it.

An upload is accepted by what its bytes are, never by its name or the type the
browser claims: JPEG, PNG and WebP photos (opened with Pillow to make sure) and
PDF scans. Anything else, such as a program renamed ``.jpg``, is refused with
a message the caseworker can act on. Content is stored with Django's default
storage under MEDIA_ROOT, outside the web root, under a random name without an
extension, and leaves only through the permission-checked download view.

HEIC photos are refused: their magic bytes are easy to read, but Pillow cannot
open them without an extra plug-in, so they could not be checked like the other
images. Phones convert HEIC to JPEG when a page asks for JPEG only, which the
upload form does (its ``accept`` attribute).
"""

import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from hardship.choices import AttachmentKind
from hardship.models import Attachment, HardshipFile
from people.access import require_in_branch, require_role
from people.models import Role, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Enough for a 600 dpi A4 scan or a 48-megapixel phone photo; more is a
# decompression bomb or a mistake, and decoding it would exhaust a web worker.
MAX_PIXELS = 60_000_000
# Bytes read to recognise a type; the longest signature checked is 12 bytes.
HEAD_BYTES = 32
# A PDF ends with %%EOF within its last 1024 bytes (what readers tolerate).
PDF_TAIL_BYTES = 1024
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


def attachment_max_bytes() -> int:
    """The largest upload accepted, from the ATTACHMENT_MAX_BYTES setting (10 MB by default)."""
    return getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


@dataclass(frozen=True)
class ContentType:
    """A type we accept: its MIME type, usual extensions, and Pillow's name for it (images)."""

    mime: str
    extensions: tuple[str, ...]
    pillow_format: str | None = None

    @property
    def is_image(self) -> bool:
        return self.pillow_format is not None


JPEG = ContentType("image/jpeg", (".jpg", ".jpeg"), "JPEG")
PNG = ContentType("image/png", (".png",), "PNG")
WEBP = ContentType("image/webp", (".webp",), "WEBP")
PDF = ContentType("application/pdf", (".pdf",))
ACCEPTED = {kind.mime: kind for kind in (JPEG, PNG, WEBP, PDF)}


def sniff_content_type(head: bytes) -> ContentType | None:
    """Recognise an accepted type by the signature at the start of the content."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        _(
            "The file is larger than %(limit)s MB. Scan at a lower resolution or split it into several files."
        )
        % {"limit": f"{limit / (1024 * 1024):g}"},
        code="too_large",
    )


def attachment_check_content(upload) -> ContentType:
    """Say what ``upload`` really is, or raise ValidationError whose code names the problem.

    The size is checked first, from what was received (never what the browser
    claimed), then only the head is read; images are opened with Pillow and
    PDFs must end with their end marker. Leaves the upload at its start.
    """
    limit = attachment_max_bytes()
    size = upload.size
    if size is None or size > limit:
        raise _too_large(limit)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    detected = sniff_content_type(head)
    if detected is None:
        if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
            raise ValidationError(
                _(
                    "HEIC photos cannot be checked here. Save the photo as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible) and upload it again."
                ),
                code="heic",
            )
        raise ValidationError(
            _(
                "Only JPEG, PNG or WebP photos and PDF scans can be attached. This file is none of these, whatever its name says."
            ),
            code="unsupported_type",
        )
    if detected.is_image:
        _check_image(upload, detected)
    else:
        _check_pdf(upload, size)
    upload.seek(0)
    return detected


def _damaged_image() -> ValidationError:
    return ValidationError(
        _("The image could not be read: it is damaged or not the kind of image it claims to be."),
        code="damaged",
    )


def _check_image(upload, detected: ContentType) -> None:
    """Open the image with Pillow (only the plug-in of its signature) and make sure it decodes."""
    from PIL import Image, UnidentifiedImageError

    unreadable = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)
    too_many_pixels = ValidationError(
        _(
            "The image has too many pixels to check (more than %(megapixels)s million). Save it at a lower resolution."
        )
        % {"megapixels": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    try:
        upload.seek(0)
        with Image.open(upload, formats=[detected.pillow_format]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise too_many_pixels
            if detected is JPEG:
                # Decode the whole stream at 1/8 scale: cheap, and it finds
                # garbage after a JPEG signature, which verify() would not.
                image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
                image.load()
            else:
                image.verify()  # PNG: every chunk's checksum; WebP: opening parsed it
    except Image.DecompressionBombError as error:
        raise too_many_pixels from error
    except unreadable as error:
        raise _damaged_image() from error


def _check_pdf(upload, size: int) -> None:
    upload.seek(max(size - PDF_TAIL_BYTES, 0))
    if b"%%EOF" not in upload.read(PDF_TAIL_BYTES):
        raise ValidationError(
            _("The PDF is damaged or incomplete: its end marker is missing."), code="damaged"
        )


def clean_original_name(name: str) -> str:
    """The uploaded name without any folder or control and direction characters, at most 200 long."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip() or _("attachment")
    stem, extension = os.path.splitext(name)
    if len(extension) > 10:
        stem, extension = name, ""
    return stem[: 200 - len(extension)] + extension


def attachment_download_name(attachment: Attachment) -> str:
    """The name to save a download as: the original name, with an extension fitting its type."""
    kind = ACCEPTED.get(attachment.content_type)
    name = attachment.original_name
    if kind is not None and not name.lower().endswith(kind.extensions):
        name = f"{name}{kind.extensions[0]}"
    return name


class UploadSizeLimiter(FileUploadHandler):
    """Stop taking in a file as soon as it passes the limit, before it fills memory or disk.

    Installed first in ``request.upload_handlers``; the later handlers never see
    the chunks past the limit, and the file is left out of ``request.FILES``
    with ``refused`` set, so the form can say why.
    """

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.refused = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.refused = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def refusal(self) -> ValidationError | None:
        return _too_large(self.limit) if self.refused else None


def attachments_of_file(*, file: HardshipFile) -> QuerySet[Attachment]:
    """A file's attachments, oldest first, with who uploaded each (one query).

    The caller has already fetched ``file`` through the access rules.
    """
    return file.attachments.select_related("uploaded_by").order_by("uploaded_at", "id")


def attachment_can_add(*, file: HardshipFile, user: User) -> bool:
    """Whether ``user`` may attach something to ``file`` now (the rule ``attachment_add`` applies)."""
    if not file.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        user.has_role(Role.CASEWORKER)
        and user.unit is not None
        and file.unit.is_in_branch_of(user.unit)
    )


def attachment_add(*, file: HardshipFile, by: User, upload, kind: str) -> Attachment:
    """Attach a checked scan or photo to an active file of the caseworker's branch.

    The content type, size and sha256 are taken from the bytes; the browser's
    claimed type is ignored. Side effects: the content is written to the
    default storage under MEDIA_ROOT (and removed again if the row cannot be
    written); one Attachment row. Raises PermissionDenied, or RuleBroken with
    the problem on ``upload`` or ``kind``, or on no field when the file is not
    active.
    """
    require_role(by, Role.CASEWORKER)
    require_in_branch(by, file.unit, _("This file is not in your unit's branch."))
    _require_active(file)
    if kind not in AttachmentKind.values:
        raise RuleBroken({"kind": _("Choose what the attachment proves.")})
    try:
        detected = attachment_check_content(upload)
        size, digest = attachment_measure(upload)
    except ValidationError as error:
        raise RuleBroken({"upload": error.error_list}) from error
    with transaction.atomic():
        # Locked, so the file cannot be closed between the check and the write.
        file = HardshipFile.objects.select_for_update().select_related("unit").get(pk=file.pk)
        require_in_branch(by, file.unit, _("This file is not in your unit's branch."))
        _require_active(file)
        attachment = Attachment(
            file=file,
            kind=kind,
            original_name=clean_original_name(upload.name),
            content_type=detected.mime,
            size=size,
            sha256=digest,
            uploaded_by=by,
        )
        # upload_to names the stored file at random; the name given here is ignored.
        attachment.content.save("upload", upload, save=False)
        try:
            attachment.save()
        except BaseException:
            attachment.content.delete(save=False)
            raise
    return attachment


def _require_active(file: HardshipFile) -> None:
    if not file.is_active:
        raise RuleBroken(
            _("Attachments can be added only while the file is active; this file is “%(status)s”.")
            % {"status": file.get_status_display()}
        )


def attachment_measure(upload) -> tuple[int, str]:
    """Size and sha256 of what was really received, read in chunks, never all at once."""
    limit = attachment_max_bytes()
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
    upload.seek(0)
    return size, digest.hexdigest()

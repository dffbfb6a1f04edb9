"""Files people upload (a file's proofs, a visit's photos, a signed roster's scan): what an
upload really is, how it is received and kept, and how it leaves again.

An upload is accepted by what its bytes are, never by its name or the type the
browser claims: JPEG, PNG and WebP photos (opened with Pillow to make sure) and
PDF scans. Anything else, such as a program renamed ``.jpg``, is refused with
a message the caseworker can act on. It is refused as soon as it passes the
size limit, while it arrives (``accepts_upload``). Its content is stored with
Django's default storage, outside the web root, under a random name without an
extension, beside what was really received (size and SHA-256); it leaves only
through a permission-checked view (``upload_response``).

HEIC photos are refused: their magic bytes are easy to read, but Pillow cannot
open them without an extra plug-in, so they could not be checked like the other
images. Phones convert HEIC to JPEG when a page asks for JPEG only, which the
upload forms do (their ``accept`` attribute).

Each kind of upload is a model on ``StoredUpload`` in its own app, naming the
folder it is kept in; ``upload_store`` checks and keeps one.
"""

import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from common.errors import RuleBroken
from people.models import User

logger = logging.getLogger(__name__)

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


def upload_max_bytes() -> int:
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


def upload_check_content(upload) -> ContentType:
    """Say what ``upload`` really is, or raise ValidationError whose code names the problem.

    The size is checked first, from what was received (never what the browser
    claimed), then only the head is read; images are opened with Pillow and
    PDFs must end with their end marker. Leaves the upload at its start.
    """
    limit = upload_max_bytes()
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
    name = "".join(ch for ch in name if ch.isprintable()).strip() or _("upload")
    stem, extension = os.path.splitext(name)
    if len(extension) > 10:
        stem, extension = name, ""
    return stem[: 200 - len(extension)] + extension


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


def upload_measure(upload) -> tuple[int, str]:
    """Size and sha256 of what was really received, read in chunks, never all at once."""
    limit = upload_max_bytes()
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _stored_path(instance: "StoredUpload", filename: str) -> str:
    # Never the uploaded name: it may be anything, and is kept in original_name.
    return f"{instance.upload_folder()}/{uuid.uuid4().hex}"


class StoredUpload(models.Model):
    """An uploaded file as it was received: checked by its bytes, kept under a random name.

    Subclasses add what the upload belongs to and say, in ``upload_folder()``,
    which folder of the storage keeps it.
    """

    content = models.FileField(_("file"), upload_to=_stored_path)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    # What was really received: the proof a scan was not swapped afterwards.
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name to save a download as: the original name, with an extension fitting its
        type."""
        kind = ACCEPTED.get(self.content_type)
        name = self.original_name
        if kind is not None and not name.lower().endswith(kind.extensions):
            name = f"{name}{kind.extensions[0]}"
        return name


@dataclass(frozen=True)
class CheckedUpload:
    """An upload whose bytes were checked: what it really is, its size and its digest."""

    upload: object
    content_type: str
    size: int
    sha256: str


def upload_check(upload, *, field: str = "upload") -> CheckedUpload:
    """Say what ``upload`` really is and measure it, or raise RuleBroken on ``field``.

    Reads the whole upload (in chunks); done before any row is locked.
    """
    try:
        detected = upload_check_content(upload)
        size, digest = upload_measure(upload)
    except ValidationError as error:
        raise RuleBroken({field: error.error_list}) from error
    return CheckedUpload(upload, detected.mime, size, digest)


def upload_store(stored: StoredUpload, checked: CheckedUpload) -> StoredUpload:
    """Keep ``checked`` as ``stored`` (an unsaved row whose other fields are set), the row
    written in a transaction of its own.

    Side effects: the content in the default storage (removed again if the row
    cannot be written); the row.
    """
    upload = checked.upload
    stored.original_name = clean_original_name(upload.name)
    stored.content_type = checked.content_type
    stored.size = checked.size
    stored.sha256 = checked.sha256
    upload.seek(0)
    # upload_to names the stored file at random; the name given here is ignored.
    stored.content.save("upload", upload, save=False)
    try:
        with transaction.atomic():
            stored.save()
    except BaseException:
        stored.content.delete(save=False)
        raise
    return stored


def upload_response(stored: StoredUpload) -> FileResponse:
    """Send ``stored`` to someone the view has checked may see it: images inline, PDFs saved.

    Raises Http404 when its content is missing from the storage.
    """
    try:
        content = stored.content.open("rb")
    except FileNotFoundError:
        logger.error(
            "%s %s has no stored content at %s.",
            type(stored).__name__,
            stored.pk,
            stored.content.name,
        )
        raise Http404 from None
    response = FileResponse(
        content,
        content_type=stored.content_type,
        as_attachment=not stored.content_type.startswith("image/"),
        filename=stored.download_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it as a page, nothing in it may run.
    response["Content-Security-Policy"] = "sandbox"
    # Personal documents: never kept by a shared proxy or on a shared computer's disk.
    response["Cache-Control"] = "private, no-store"
    return response


def accepts_upload(view: Callable) -> Callable:
    """Let ``view`` receive an upload: the size limiter goes in before the request body is
    read, then CSRF is checked as usual. ``request.upload_refusal()`` says why a file was
    left out (too large), or None (``UploadForm`` takes it as ``refusal``).

    CSRF cannot be checked before the limiter is installed (checking reads the
    body), so the outer function is exempt and the inner one is protected.
    """
    protected = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        limiter = UploadSizeLimiter(request, limit=upload_max_bytes())
        request.upload_handlers.insert(0, limiter)

        def refusal() -> ValidationError | None:
            request.FILES  # noqa: B018 - the limiter speaks once the body has been read
            return limiter.refusal()

        request.upload_refusal = refusal
        return protected(request, *args, **kwargs)

    return wrapper


class UploadForm(forms.Form):
    """A form with one checked upload, ``upload``; subclasses set its label and add fields."""

    upload_label = gettext_lazy("Scan or photo")

    # Not required here: clean_upload says why a file is missing, which may be
    # that the size limiter left it out.
    upload = forms.FileField(
        required=False,
        help_text=gettext_lazy("JPEG, PNG, WebP or PDF, at most %(limit)s MB."),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, refusal: ValidationError | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refusal = refusal
        field = self.fields["upload"]
        field.label = self.upload_label
        field.help_text = field.help_text % {"limit": f"{upload_max_bytes() / 2**20:g}"}

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if self.refusal is not None:
            raise self.refusal
        if not upload:
            raise forms.ValidationError(_("Choose the file to upload."), code="required")
        return upload

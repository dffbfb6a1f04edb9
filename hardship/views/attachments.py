"""Attachments (证明材料) on a file: the upload form and the permission-checked download.

The file page includes ``hardship/attachments_panel.html`` with the context
from ``attachments_panel_context``.
"""

import logging

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from common.errors import RuleBroken
from hardship.attachments import (
    ACCEPT_ATTRIBUTE,
    UploadSizeLimiter,
    attachment_add,
    attachment_can_add,
    attachment_download_name,
    attachment_max_bytes,
    attachments_of_file,
)
from hardship.choices import AttachmentKind
from hardship.models import Attachment, HardshipFile
from people.access import branch_view, get_object_for_user
from people.models import Role, User

logger = logging.getLogger(__name__)

# Everyone who works with the branch's files reads their proofs; unit
# administrators too, since admin lists the attachments and links here.
READERS = (Role.CASEWORKER, Role.APPROVER, Role.VIEWER, Role.UNIT_ADMIN)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What it proves"), choices=AttachmentKind.choices)
    # Not required here: clean_upload says why a file is missing, which may be
    # that the size limiter left it out.
    upload = forms.FileField(
        label=gettext_lazy("Scan or photo"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG, WebP or PDF, at most %(limit)s MB."),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, refusal: forms.ValidationError | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refusal = refusal
        field = self.fields["upload"]
        field.help_text = field.help_text % {"limit": f"{attachment_max_bytes() / 2**20:g}"}

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if self.refusal is not None:
            raise self.refusal
        if not upload:
            raise forms.ValidationError(_("Choose the file to upload."), code="required")
        return upload


def attachments_panel_context(*, file: HardshipFile, user: User) -> dict:
    """What ``hardship/attachments_panel.html`` needs, for a file already fetched for ``user``."""
    can_upload = attachment_can_add(file=file, user=user)
    return {
        "attachments": attachments_of_file(file=file),
        "can_upload_attachments": can_upload,
        "attachment_form": AttachmentForm() if can_upload else None,
    }


@branch_view(roles=(Role.CASEWORKER,))
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def attachment_upload(request: HttpRequest, file_pk: int) -> HttpResponse:
    """Attach a scan or photo to a file (POST); GET shows the form on its own page.

    CSRF is checked, by ``_attachment_upload``: exempting this outer function
    only lets the size limiter go in before the request body is read.
    """
    file = get_object_for_user(
        HardshipFile.objects.select_related("unit"),
        user=request.user,
        unit_path="unit__path",
        pk=file_pk,
    )
    limiter = UploadSizeLimiter(request, limit=attachment_max_bytes())
    request.upload_handlers.insert(0, limiter)
    return _attachment_upload(request, file, limiter)


@csrf_protect
def _attachment_upload(
    request: HttpRequest, file: HardshipFile, limiter: UploadSizeLimiter
) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, file, AttachmentForm())
    form = AttachmentForm(request.POST, request.FILES, refusal=limiter.refusal())
    if form.is_valid():
        try:
            attachment = attachment_add(
                file=file,
                by=request.user,
                upload=form.cleaned_data["upload"],
                kind=form.cleaned_data["kind"],
            )
        except RuleBroken as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("“%(name)s” is attached.") % {"name": attachment.original_name}
            )
            return redirect(file)
    return _upload_page(request, file, form, status=400)


def _upload_page(
    request: HttpRequest, file: HardshipFile, form: AttachmentForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "hardship/attachments_upload.html",
        {
            "file": file,
            "attachment_form": form,
            "can_upload_attachments": attachment_can_add(file=file, user=request.user),
        },
        status=status,
    )


@branch_view(roles=READERS)
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Send an attachment to someone who may see its file: images inline, PDFs as a download."""
    attachment = get_object_for_user(
        Attachment.objects.all(), user=request.user, unit_path="file__unit__path", pk=pk
    )
    try:
        content = attachment.content.open("rb")
    except FileNotFoundError:
        logger.error("Attachment %s has no stored content at %s.", pk, attachment.content.name)
        raise Http404 from None
    response = FileResponse(
        content,
        content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment_download_name(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it as a page, nothing in it may run.
    response["Content-Security-Policy"] = "sandbox"
    # Personal documents: never kept by a shared proxy or on a shared computer's disk.
    response["Cache-Control"] = "private, no-store"
    return response

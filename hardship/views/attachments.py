"""Attachments (证明材料) on a file: the upload form and the permission-checked download.

The file page includes ``hardship/attachments_panel.html`` with the context
from ``attachments_panel_context``.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from common.forms import show_refusal
from documents.uploads import UploadForm, accepts_upload, upload_response
from hardship.attachments import attachment_add, attachments_of_file
from hardship.choices import AttachmentKind
from hardship.models import Attachment, HardshipFile
from hardship.selectors import may_add_attachment
from people.access import branch_view, get_object_for_user
from people.models import Role, User

# Everyone who works with the branch's files reads their proofs; unit
# administrators too, since admin lists the attachments and links here.
READERS = (Role.CASEWORKER, Role.APPROVER, Role.VIEWER, Role.UNIT_ADMIN)


class AttachmentForm(UploadForm):
    upload_label = gettext_lazy("Scan or photo")

    kind = forms.ChoiceField(label=gettext_lazy("What it proves"), choices=AttachmentKind.choices)
    field_order = ["kind", "upload"]


def attachments_panel_context(*, file: HardshipFile, user: User) -> dict:
    """What ``hardship/attachments_panel.html`` needs, for a file already fetched for ``user``."""
    can_upload = may_add_attachment(user, file)
    return {
        "attachments": attachments_of_file(file=file),
        "can_upload_attachments": can_upload,
        "attachment_form": AttachmentForm() if can_upload else None,
    }


@branch_view(roles=(Role.CASEWORKER,))
@require_http_methods(["GET", "HEAD", "POST"])
@accepts_upload
def attachment_upload(request: HttpRequest, file_pk: int) -> HttpResponse:
    """Attach a scan or photo to a file (POST); GET shows the form on its own page."""
    file = get_object_for_user(
        HardshipFile.objects.select_related("unit"),
        user=request.user,
        unit_path="unit__path",
        pk=file_pk,
    )
    if request.method != "POST":
        return _upload_page(request, file, AttachmentForm())
    form = AttachmentForm(request.POST, request.FILES, refusal=request.upload_refusal())
    if form.is_valid():
        try:
            attachment = attachment_add(
                file=file,
                by=request.user,
                upload=form.cleaned_data["upload"],
                kind=form.cleaned_data["kind"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
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
            "can_upload_attachments": may_add_attachment(request.user, file),
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
    return upload_response(attachment)

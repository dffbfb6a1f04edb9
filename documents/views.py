"""Generated documents and long jobs: the progress page, its status for the bar, the download."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.models import GeneratedDocument
from documents.services import document_back_link, document_retry
from people.access import branch_view, get_object_for_user


def _get_document(request: HttpRequest, pk: int) -> GeneratedDocument:
    # Whoever may see the unit's data may see what was generated from it.
    return get_object_for_user(
        GeneratedDocument.objects.select_related("unit", "requested_by"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


@branch_view()
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _get_document(request, pk)
    back = document_back_link(document=document, user=request.user)
    return render(request, "documents/document_detail.html", {"document": document, "back": back})


@branch_view()
def document_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the progress bar polls."""
    document = _get_document(request, pk)
    return JsonResponse(
        {
            "status": document.status,
            "status_label": document.get_status_display(),
            "done": document.progress_done,
            "total": document.progress_total,
            "percent": document.percent,
        },
        headers={"Cache-Control": "no-store"},
    )


@branch_view()
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = _get_document(request, pk)
    if document.status != GeneratedDocument.Status.DONE or not document.result:
        return redirect(document)
    response = FileResponse(
        document.result.open("rb"),
        as_attachment=True,
        filename=document.result_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@branch_view()
@require_POST
def document_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _get_document(request, pk)
    document_retry(document=document, by=request.user)
    messages.success(request, _("The job is sent to the worker again."))
    return redirect(document)

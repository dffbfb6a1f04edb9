"""Pages of the steps between verification and approval: public notices (公示) with their
objections and printed sheet, and the civil-affairs check (requests out, results in)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from hardship import checks, notices
from hardship.forms import (
    CheckDecisionForm,
    CheckRequestForm,
    CheckResultForm,
    NoticeStartForm,
    ObjectionDecisionForm,
    ObjectionForm,
)
from hardship.models import FinanceCheck, Objection, PublicNotice
from hardship.pipeline import pipeline_settings_for
from people.access import branch_view, get_object_for_user, may_act_as
from people.models import Role

LIST_LIMIT = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _own_unit(request: HttpRequest):
    if request.user.unit is None:
        raise Http404
    return request.user.unit


def _get_notice(request: HttpRequest, pk: int) -> PublicNotice:
    return get_object_for_user(
        PublicNotice.objects.select_related("unit", "created_by"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


# ====================================================================== notices


@branch_view()
def notice_list(request: HttpRequest) -> HttpResponse:
    """The branch's notices, newest first, and the files waiting to be put on one."""
    unit = _own_unit(request)
    return render(
        request,
        "hardship/notice_list.html",
        {
            "notices": list(notices.notices_for_user(user=request.user)[:LIST_LIMIT]),
            "waiting": notices.files_awaiting_notice(user=request.user)[:LIST_LIMIT].count(),
            "may_start": notices.may_start_notice(request.user, unit),
            "today": timezone.localdate(),
        },
    )


def notice_start_form(request, *, choices, label, data=None):
    settings = pipeline_settings_for(_own_unit(request))
    return NoticeStartForm(
        data,
        choices=choices,
        field_label=label,
        initial={"starts_on": timezone.localdate(), "working_days": settings.notice_default_days},
    )


@branch_view()
def notice_new(request: HttpRequest) -> HttpResponse:
    """Put verified files on a public notice."""
    unit = _own_unit(request)
    decision = notices.may_start_notice(request.user, unit)
    if decision.denied:
        raise Http404
    choices = notices.files_awaiting_notice(user=request.user)
    form = notice_start_form(
        request,
        choices=choices,
        label=_("Files whose home verification is done"),
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = notices.public_notice_create(
                by=request.user,
                unit=unit,
                kind=PublicNotice.Kind.NEW_FILES,
                starts_on=data["starts_on"],
                working_days=data["working_days"],
                where_to_object=data["where_to_object"],
                lines=[notices.NoticeLine(file=f, reason="") for f in data["files"]],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The notice is started: print its sheet."))
            return redirect(notice)
    return render(
        request,
        "hardship/notice_new.html",
        {"form": form, "minimum": pipeline_settings_for(unit).notice_minimum_days},
        status=400 if request.method == "POST" else 200,
    )


def _render_notice(request, notice, *, forms=None, status=200):
    user = request.user
    entries = list(notice.entries.select_related("file").order_by("id"))
    objections = list(
        Objection.objects.filter(entry__notice=notice)
        .select_related("entry", "recorded_by", "decided_by")
        .order_by("received_at", "id")
    )
    for objection in objections:
        objection.entry.notice = notice
    forms = forms or {}
    return render(
        request,
        "hardship/notice_detail.html",
        {
            "notice": notice,
            "entries": entries,
            "is_open": notices.notice_is_open(notice),
            "objections": [
                (
                    o,
                    notices.may_decide_objection(user, o),
                    forms.get(f"decide-{o.pk}") or ObjectionDecisionForm(prefix=f"decide-{o.pk}"),
                )
                for o in objections
            ],
            "may_object": notices.may_record_objection(user, notice),
            "objection_form": forms.get("object")
            or ObjectionForm(
                prefix="object",
                entries=entries,
                initial={"received_at": timezone.localtime().replace(second=0, microsecond=0)},
            ),
            "may_approve": notices.may_approve_notice(user, notice),
            "left": forms.get("left", []),
        },
        status=status,
    )


@branch_view()
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_notice(request, _get_notice(request, pk))


@branch_view()
def notice_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The A4 sheet for the notice board, as a PDF (a page or two: made by the request)."""
    from documents.pdf import PDF_CONTENT_TYPE, render_pdf

    notice = _get_notice(request, pk)
    title = (
        _("Public notice of households proposed for hardship files")
        if notice.kind == PublicNotice.Kind.NEW_FILES
        else _("Public notice of schooling grants")
    )
    content = render_pdf(
        "pdf/public_notice.html",
        {
            "notice": notice,
            "entries": list(notice.entries.order_by("id")),
            "grants": notice.kind == PublicNotice.Kind.GRANTS,
            "title": title,
            "printed_on": timezone.localdate().strftime("%Y-%m-%d"),
        },
    )
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = _attachment(notices.notice_sheet_file_name(notice))
    return response


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(name)}"


@branch_view()
@require_POST
def notice_object(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an objection to one household of the notice."""
    notice = _get_notice(request, pk)
    entries = list(notice.entries.order_by("id"))
    form = ObjectionForm(request.POST, prefix="object", entries=entries)
    if form.is_valid():
        data = form.cleaned_data
        entry = next(e for e in entries if e.pk == data["entry"])
        try:
            notices.objection_record(
                by=request.user,
                entry=entry,
                received_at=data["received_at"],
                channel=data["channel"],
                content=data["content"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The objection is recorded: an approver decides on it."))
            return redirect(notice)
    return _render_notice(request, notice, forms={"object": form}, status=400)


@branch_view()
@require_POST
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Uphold or dismiss an objection, with the reason."""
    objection = get_object_for_user(
        Objection.objects.select_related("entry__notice__unit", "entry__file"),
        user=request.user,
        unit_path="entry__notice__unit__path",
        pk=pk,
    )
    notice = objection.entry.notice
    prefix = f"decide-{objection.pk}"
    form = ObjectionDecisionForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            notices.objection_decide(
                by=request.user,
                objection=objection,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The objection is decided."))
            return redirect(notice)
    return _render_notice(request, notice, forms={prefix: form}, status=400)


@branch_view()
@require_POST
def notice_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve together the files of a notice that closed clean."""
    notice = _get_notice(request, pk)
    try:
        approved, left = notices.public_notice_approve_files(
            by=request.user, notice=notice, notes=request.POST.get("notes", "")[:2000]
        )
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(notice)
    messages.success(
        request, _("%(count)s files approved and put on file.") % {"count": len(approved)}
    )
    for file, reason in left:
        messages.warning(request, f"{file.name}（{file.file_number}）：{reason}")
    return redirect(notice)


# ====================================================================== civil-affairs check


def _render_checks(request, *, request_form=None, result_form=None, status=200):
    user = request.user
    waiting_files = checks.files_awaiting_check(user=user)
    return render(
        request,
        "hardship/check_list.html",
        {
            "request_form": request_form
            or CheckRequestForm(prefix="ask", choices=waiting_files[:LIST_LIMIT]),
            "result_form": result_form or CheckResultForm(prefix="result"),
            "may_ask": may_act_as(user, Role.CASEWORKER),
            "waiting": list(checks.checks_waiting(user=user)[:LIST_LIMIT]),
            "to_decide": [
                (
                    check,
                    checks.may_decide_check(user, check),
                    CheckDecisionForm(prefix=f"check-{check.pk}"),
                )
                for check in checks.checks_to_decide(user=user)[:LIST_LIMIT]
            ],
            "columns": [
                str(checks.CHECK_COLUMNS[key])
                for key in pipeline_settings_for(_own_unit(request)).check_columns
                if key in checks.CHECK_COLUMNS
            ],
        },
        status=status,
    )


@branch_view()
def check_list(request: HttpRequest) -> HttpResponse:
    """Files to ask the check centre about, checks waiting, and the result import."""
    _own_unit(request)
    return _render_checks(request)


@branch_view()
@require_POST
def check_request(request: HttpRequest) -> HttpResponse:
    """The request spreadsheet for the chosen files (full ID numbers, recorded with the reason)."""
    _own_unit(request)
    choices = checks.files_awaiting_check(user=request.user)
    form = CheckRequestForm(request.POST, prefix="ask", choices=choices)
    if form.is_valid():
        try:
            _made, content = checks.finance_check_request(
                by=request.user,
                files=list(form.cleaned_data["files"]),
                reason=form.cleaned_data["reason"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            response = HttpResponse(content, content_type=XLSX_TYPE)
            response["Content-Disposition"] = _attachment(checks.check_request_file_name())
            return response
    return _render_checks(request, request_form=form, status=400)


@branch_view()
@require_POST
def check_results(request: HttpRequest) -> HttpResponse:
    """Hand the centre's result file to a worker, whose job page says how it went: all of it
    applied, or nothing with each bad line listed."""
    _own_unit(request)
    form = CheckResultForm(request.POST, request.FILES, prefix="result")
    if form.is_valid():
        try:
            job = checks.finance_check_results_request(
                by=request.user, upload=form.cleaned_data["upload"], language=request.LANGUAGE_CODE
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            return redirect(job)
    return _render_checks(request, result_form=form, status=400)


@branch_view()
@require_POST
def check_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """An approver's decision on a check that found a mismatch."""
    check = get_object_for_user(
        FinanceCheck.objects.select_related("file__unit"),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )
    form = CheckDecisionForm(request.POST, prefix=f"check-{check.pk}")
    if form.is_valid():
        try:
            checks.finance_check_decide(
                by=request.user,
                check=check,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
        else:
            messages.success(request, _("The decision on the check is recorded."))
    else:
        messages.error(request, _("Choose a decision and give its reason."))
    return redirect(check.file)


# The file page's panel: its checks and notices, with the decision form where allowed.
def file_pipeline_context(*, file, user) -> dict:
    """What the file page shows of the civil-affairs check and the public notices."""
    file_checks = checks.checks_of_file(file=file)
    for check in file_checks:
        check.file = file  # the page's own, its unit read already
    return {
        "finance_checks": [
            (
                check,
                checks.may_decide_check(user, check),
                CheckDecisionForm(prefix=f"check-{check.pk}"),
            )
            for check in file_checks
        ],
        "notice_entries": list(file.notice_entries.select_related("notice").order_by("-id")[:10]),
        "may_request_check": checks.may_request_check(user, file),
    }

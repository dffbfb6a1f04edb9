"""Putting schooling grants (金秋助学) on a public notice before they are paid."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.forms import show_refusal
from funds.notices import grant_notice_start, grants_awaiting_notice
from hardship.notices import may_start_notice
from hardship.pipeline import pipeline_settings_for
from hardship.views.pipeline import notice_start_form
from people.access import branch_view

LIST_LIMIT = 200


@branch_view()
def grant_notice_new(request: HttpRequest) -> HttpResponse:
    """Choose schooling grants waiting for their notice and start it."""
    unit = request.user.unit
    if unit is None or may_start_notice(request.user, unit).denied:
        raise Http404
    choices = grants_awaiting_notice(user=request.user)
    form = notice_start_form(
        request,
        choices=choices,
        label=_("Schooling grants waiting for their notice"),
        data=request.POST if request.method == "POST" else None,
    )
    form.fields["files"].label_from_instance = lambda grant: (
        f"{grant.file.name} · {grant.student.name if grant.student else ''} · "
        f"{grant.get_school_stage_display()} · {grant.amount} · {grant.get_status_display()}"
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = grant_notice_start(
                by=request.user,
                unit=unit,
                grants=list(data["files"]),
                starts_on=data["starts_on"],
                working_days=data["working_days"],
                where_to_object=data["where_to_object"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The notice is started: print its sheet."))
            return redirect(notice)
    return render(
        request,
        "hardship/notice_new.html",
        {"form": form, "grants": True, "minimum": pipeline_settings_for(unit).notice_minimum_days},
        status=400 if request.method == "POST" else 200,
    )

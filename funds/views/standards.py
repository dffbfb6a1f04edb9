"""Pages where unit administrators keep the schooling grants (金秋助学) of their branch's campaigns."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.forms import show_refusal
from funds.forms import SchoolingStandardForm
from funds.standards import (
    get_schooling_standard_for_user,
    may_keep_schooling_standard,
    schooling_standard_add,
    schooling_standard_changes,
    schooling_standard_correct,
    schooling_standards_for_user,
    standard_campaigns_for_user,
)
from people.access import branch_view
from people.models import Role

STANDARDS_SHOWN = 200


@branch_view(roles=(Role.UNIT_ADMIN,))
def schooling_standard_list(request: HttpRequest) -> HttpResponse:
    """The grants of the branch's campaigns, newest campaign first, and their latest changes."""
    standards = schooling_standards_for_user(user=request.user).order_by(
        "-campaign__starts_on", "campaign_id", "school_stage"
    )
    return render(
        request,
        "funds/schooling_standard_list.html",
        {
            "standards": standards[:STANDARDS_SHOWN],
            "changes": schooling_standard_changes(user=request.user),
            "allowed": {"add": may_keep_schooling_standard(request.user)},
        },
    )


@branch_view(roles=(Role.UNIT_ADMIN,))
def schooling_standard_new(request: HttpRequest) -> HttpResponse:
    if not may_keep_schooling_standard(request.user):
        raise Http404
    form = SchoolingStandardForm(
        request.POST or None, campaigns=standard_campaigns_for_user(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            schooling_standard_add(by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The grant is saved."))
            return redirect("funds:schooling_standard_list")
    return render(
        request,
        "funds/schooling_standard_form.html",
        {"form": form, "standard": None},
        status=400 if form.errors else 200,
    )


@branch_view(roles=(Role.UNIT_ADMIN,))
def schooling_standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    standard = get_schooling_standard_for_user(user=request.user, pk=pk)
    if not may_keep_schooling_standard(request.user, standard.campaign):
        raise Http404
    form = SchoolingStandardForm(
        request.POST or None,
        campaigns=standard_campaigns_for_user(user=request.user),
        standard=standard,
    )
    if request.method == "POST" and form.is_valid():
        try:
            schooling_standard_correct(standard=standard, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The grant is corrected."))
            return redirect("funds:schooling_standard_list")
    return render(
        request,
        "funds/schooling_standard_form.html",
        {"form": form, "standard": standard},
        status=400 if form.errors else 200,
    )

"""Pages where unit administrators keep the local 低保 standards of their branch."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.forms import show_refusal
from hardship.forms import LivingStandardForm
from hardship.standards import (
    division_codes_for_user,
    get_living_standard_for_user,
    living_standard_add,
    living_standard_changes,
    living_standard_correct,
    living_standards_for_user,
    may_keep_living_standard,
)
from people.access import branch_view
from people.models import Role

STANDARDS_SHOWN = 200


@branch_view(roles=(Role.UNIT_ADMIN,))
def living_standard_list(request: HttpRequest) -> HttpResponse:
    """The standards of the branch's divisions, newest year first, and their latest changes."""
    standards = living_standards_for_user(user=request.user).order_by("division_code", "-year")
    return render(
        request,
        "hardship/living_standard_list.html",
        {
            "standards": standards[:STANDARDS_SHOWN],
            "codes": division_codes_for_user(request.user),
            "changes": living_standard_changes(user=request.user),
            "allowed": {"add": may_keep_living_standard(request.user)},
        },
    )


@branch_view(roles=(Role.UNIT_ADMIN,))
def living_standard_new(request: HttpRequest) -> HttpResponse:
    decision = may_keep_living_standard(request.user)
    if not decision:
        raise Http404
    form = LivingStandardForm(request.POST or None, codes=division_codes_for_user(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            living_standard_add(by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The standard is saved."))
            return redirect("hardship:living_standard_list")
    return render(
        request,
        "hardship/living_standard_form.html",
        {"form": form, "standard": None},
        status=400 if form.errors else 200,
    )


@branch_view(roles=(Role.UNIT_ADMIN,))
def living_standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    standard = get_living_standard_for_user(user=request.user, pk=pk)
    if not may_keep_living_standard(request.user, standard.division_code):
        raise Http404
    form = LivingStandardForm(
        request.POST or None, codes=division_codes_for_user(request.user), standard=standard
    )
    if request.method == "POST" and form.is_valid():
        try:
            living_standard_correct(standard=standard, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The standard is corrected."))
            return redirect("hardship:living_standard_list")
    return render(
        request,
        "hardship/living_standard_form.html",
        {"form": form, "standard": standard},
        status=400 if form.errors else 200,
    )

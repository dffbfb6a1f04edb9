"""Income over time (动态管理): a household's income of a month or quarter, and the files whose
household may exit (a suggestion for the review area)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.forms import show_refusal
from hardship.forms import IncomeRecordForm
from hardship.income import (
    MONTHS_ABOVE_TO_EXIT,
    files_that_may_exit,
    income_record_create,
    income_records_of,
)
from hardship.models import HardshipFile
from hardship.selectors import may_record_income
from people.access import branch_view, get_object_for_user

# The most files the "may exit" page lists at once: the first by unit and file number.
MAY_EXIT_CAP = 200


@branch_view()
def file_income(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's income records, and the form to add one (a caseworker of the branch,
    while the file is on record)."""
    file = get_object_for_user(
        HardshipFile.objects.select_related("unit"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )
    allowed = may_record_income(request.user, file)
    form = IncomeRecordForm(request.POST or None, file=file)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                income_record_create(file=file, by=request.user, data=form.income_input())
            except (PermissionDenied, ValidationError) as refused:
                show_refusal(form, refused)
            else:
                messages.success(request, _("The household's income is recorded."))
                return redirect("hardship:file_income", pk=file.pk)
        status = 400
    return render(
        request,
        "hardship/file_income.html",
        {
            "file": file,
            "form": form if allowed else None,
            "allowed": allowed,
            "income_records": income_records_of(file, limit=60),
        },
        status=status,
    )


@branch_view()
def may_exit_list(request: HttpRequest) -> HttpResponse:
    """Files on record whose household's income per person has stayed above the local 低保
    for six consecutive months: a suggestion, the exit is an approver's step on the file."""
    rows = files_that_may_exit(user=request.user)
    return render(
        request,
        "hardship/may_exit.html",
        {
            "rows": rows[:MAY_EXIT_CAP],
            "more": len(rows) > MAY_EXIT_CAP,
            "months_needed": MONTHS_ABOVE_TO_EXIT,
        },
    )

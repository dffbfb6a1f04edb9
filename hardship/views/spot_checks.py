"""The yearly spot check of a unit's branch: draw it, and work through its sample."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from hardship.models import SpotCheckFile
from hardship.spot_checks import (
    DEFAULT_FRACTION,
    may_draw_spot_check,
    spot_check_draw,
    spot_check_file_verify,
    spot_check_progress,
    spot_checks_for_user,
)
from people.access import branch_view, get_object_for_user
from people.models import UnionUnit

PAGE_SIZE = 100


class SpotCheckDrawForm(forms.Form):
    percent = forms.IntegerField(
        label=gettext_lazy("Share of files on record to sample (%)"),
        min_value=1,
        max_value=100,
        initial=int(DEFAULT_FRACTION * 100),
    )


def _unit(request: HttpRequest, unit_pk: int) -> UnionUnit:
    return get_object_for_user(
        UnionUnit.objects.all(), user=request.user, unit_path="path", pk=unit_pk
    )


def _render(request, unit: UnionUnit, form: SpotCheckDrawForm, status: int = 200) -> HttpResponse:
    year = timezone.localdate().year
    spot_check = (
        spot_checks_for_user(user=request.user)
        .filter(unit=unit, year=year)
        .select_related("drawn_by")
        .first()
    )
    context = {
        "unit": unit,
        "year": year,
        "spot_check": spot_check,
        "form": form,
        "may_draw": spot_check is None and may_draw_spot_check(request.user, unit),
    }
    if spot_check is not None:
        entries = spot_check.entries.select_related("file", "file__unit").order_by("file_id")
        context["page"] = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        context["progress"] = spot_check_progress(spot_check)
    return render(request, "hardship/spot_check.html", context, status=status)


@branch_view()
def spot_check_page(request: HttpRequest, unit_pk: int) -> HttpResponse:
    return _render(request, _unit(request, unit_pk), SpotCheckDrawForm())


@branch_view()
@require_POST
def spot_check_draw_view(request: HttpRequest, unit_pk: int) -> HttpResponse:
    unit = _unit(request, unit_pk)
    form = SpotCheckDrawForm(request.POST)
    if form.is_valid():
        try:
            spot_check_draw(unit=unit, by=request.user, fraction=form.cleaned_data["percent"] / 100)
        except PermissionDenied:
            raise
        except ValidationError as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The spot check is drawn."))
            return redirect("hardship:yearly_sample", unit_pk=unit.pk)
    return _render(request, unit, form, status=400)


@branch_view()
@require_POST
def spot_check_file_verified(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_for_user(
        SpotCheckFile.objects.select_related("spot_check__unit"),
        user=request.user,
        unit_path="spot_check__unit__path",
        pk=pk,
    )
    try:
        spot_check_file_verify(entry=entry, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
    else:
        messages.success(request, _("The file is marked as verified again."))
    return redirect("hardship:yearly_sample", unit_pk=entry.spot_check.unit_id)

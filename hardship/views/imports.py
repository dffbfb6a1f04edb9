"""Pages of the spreadsheet import: upload, column matching, the dry-run report, confirmation.

Caseworkers only. A batch is seen only by the person who uploaded it, inside
their branch; anyone else gets the same 404 as for a batch that does not exist.
Reading the spreadsheet, the dry run and the import run as jobs of the documents
engine (hardship/importing/services.py); the upload page only checks the file's
table of contents. These pages start the jobs and show where they stand, with the
current job's progress bar.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import RuleBroken
from hardship.importing.columns import COLUMNS, COLUMNS_BY_KEY, columns_missing
from hardship.importing.reading import MAX_UPLOAD_BYTES
from hardship.importing.services import (
    import_batch_confirm,
    import_batch_create,
    import_batch_match_columns,
)
from hardship.importing.template import import_workbook
from hardship.models import ImportBatch
from people.access import branch_view, get_object_for_user, scope_to_user, units_visible_to
from people.models import Role, UnionUnit, User

CASEWORKERS = (Role.CASEWORKER,)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "困难职工导入模板.xlsx"
RECENT_BATCHES = 10
REPORT_ROWS_PER_PAGE = 100
# How many levels below their own unit a caseworker may pick on the upload form:
# a provincial branch has tens of thousands of units, too many for one list.
UNIT_LEVELS_OFFERED = 2


class UploadForm(forms.Form):
    upload = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_TYPE}"}),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit the files go to"),
        queryset=UnionUnit.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = _(
            "An Excel workbook (.xlsx) of at most %(limit)s MB. The first sheet is read; its first filled-in row holds the headers."
        ) % {"limit": MAX_UPLOAD_BYTES // 1048576}
        units = units_visible_to(user)
        if user.unit is not None:
            units = units.filter(level__lte=user.unit.level + UNIT_LEVELS_OFFERED)
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["unit"].initial = user.unit_id


class ColumnMatchForm(forms.Form):
    """One choice per spreadsheet column: which of our fields it holds, if any."""

    def __init__(self, *args, headers: list[str], mapping: dict[str, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        by_index = {index: key for key, index in mapping.items()}
        choices = [("", _("Not imported")), *((c.key, c.label) for c in COLUMNS)]
        for index, header in enumerate(headers):
            if header:
                self.fields[f"column_{index}"] = forms.ChoiceField(
                    label=header, choices=choices, required=False, initial=by_index.get(index, "")
                )

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen: dict[str, list[str]] = {}
        for name, key in cleaned.items():
            if key:
                chosen.setdefault(key, []).append(name)
        for key, names in chosen.items():
            if len(names) > 1:
                for name in names:
                    self.add_error(
                        name,
                        _("“%(field)s” is chosen for more than one column.")
                        % {"field": COLUMNS_BY_KEY[key].label},
                    )
        self.mapping = {key: int(names[0].removeprefix("column_")) for key, names in chosen.items()}
        return cleaned


def _add_rule_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _batch_for(request: HttpRequest, pk: int) -> ImportBatch:
    """The requesting user's own batch in their branch, or 404 (missing and not yours alike)."""
    return get_object_for_user(
        ImportBatch.objects.select_related("unit", "job"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
        created_by=request.user,
    )


@branch_view(roles=CASEWORKERS)
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet; the caseworker's recent imports below."""
    posted = request.method == "POST"
    form = UploadForm(*((request.POST, request.FILES) if posted else ()), user=request.user)
    if posted and form.is_valid():
        try:
            batch = import_batch_create(
                by=request.user,
                unit=form.cleaned_data["unit"],
                upload=form.cleaned_data["upload"],
                language=translation.get_language(),
            )
        except RuleBroken as error:
            _add_rule_errors(form, error)
        else:
            # The worker reads it first; the batch's page follows that, then offers the matching.
            return redirect(batch)
    batches = scope_to_user(
        ImportBatch.objects.filter(created_by=request.user).select_related("unit"),
        user=request.user,
        unit_path="unit__path",
    )[:RECENT_BATCHES]
    return render(request, "hardship/import_start.html", {"form": form, "batches": batches})


@branch_view(roles=CASEWORKERS)
def import_template(request: HttpRequest) -> HttpResponse:
    """The empty spreadsheet to fill in: our headers, an example row, the allowed values."""
    return HttpResponse(
        import_workbook(),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, TEMPLATE_NAME)},
    )


@branch_view(roles=CASEWORKERS)
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Say which spreadsheet column holds which field, then start the dry run."""
    batch = _batch_for(request, pk)
    if batch.status not in (ImportBatch.Status.UPLOADED, ImportBatch.Status.VALIDATED) or (
        batch.confirmed_at is not None
    ):
        return redirect(batch)
    posted = request.method == "POST"
    form = ColumnMatchForm(
        request.POST if posted else None, headers=batch.headers, mapping=batch.mapping
    )
    if posted and form.is_valid():
        try:
            import_batch_match_columns(
                batch=batch,
                by=request.user,
                mapping=form.mapping,
                language=translation.get_language(),
            )
        except RuleBroken as error:
            _add_rule_errors(form, error)
        else:
            return redirect(batch)
    missing = [] if form.is_bound else columns_missing(batch.mapping)
    return render(
        request,
        "hardship/import_mapping.html",
        {"batch": batch, "form": form, "missing": [c.label for c in missing]},
    )


@branch_view(roles=CASEWORKERS)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the import stands: waiting, the dry-run report, the outcome."""
    batch = _batch_for(request, pk)
    report = Paginator(batch.report, REPORT_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "hardship/import_detail.html", {"batch": batch, "report": report})


@branch_view(roles=CASEWORKERS)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The caseworker confirms a clean dry run: the import starts."""
    batch = _batch_for(request, pk)  # before the method: someone else's batch is a 404 either way
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        import_batch_confirm(batch=batch, by=request.user)
    except RuleBroken as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(batch)

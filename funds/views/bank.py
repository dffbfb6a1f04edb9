"""Pages of bank payments in bulk (银行代发): an approved batch's payment files, the bank's
result files, failed lines re-issued or switched to cash, and the reconciliation.

The batch is fetched through its unit's branch (404 outside it); what the page offers
is what ``funds.bank``'s predicates allow, the same ones its services enforce. Every
write goes through ``funds.bank``; a refusal is shown on the page with status 400.
"""

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from funds import bank
from funds.choices import BankLineStatus
from funds.models import BankPaymentLine, BankPaymentRun, DisbursementBatch
from people.access import branch_view, get_object_for_user

LIST_CAP = 200


class BankExportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do the full account numbers leave the system?"),
        max_length=300,
        help_text=gettext_lazy("Recorded with your name, the time and the number of lines."),
    )
    fmt = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("xlsx", gettext_lazy("Excel (.xlsx)")), ("csv", gettext_lazy("CSV"))],
        initial="xlsx",
        widget=forms.RadioSelect,
    )


class BankResultForm(forms.Form):
    upload = forms.FileField(
        label=gettext_lazy("The bank's result file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class ReissueForm(forms.Form):
    account = forms.CharField(label=gettext_lazy("Corrected account number"), max_length=40)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=50, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class CashForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


def _get_batch(request: HttpRequest, pk: int) -> DisbursementBatch:
    return get_object_for_user(
        DisbursementBatch.objects.select_related("campaign", "unit", "fund__unit", "budget__unit"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


def _get_line(request: HttpRequest, pk: int) -> BankPaymentLine:
    return get_object_for_user(
        BankPaymentLine.objects.select_related(
            "disbursement__batch__unit",
            "disbursement__batch__fund__unit",
            "disbursement__batch__budget__unit",
        ),
        user=request.user,
        unit_path="disbursement__batch__unit__path",
        pk=pk,
    )


def _bank_url(batch: DisbursementBatch) -> str:
    return reverse("funds:bank_detail", kwargs={"pk": batch.pk})


def _file_response(run: BankPaymentRun, fmt: str) -> HttpResponse:
    content, name, content_type = bank.bank_file_content(run, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@branch_view()
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _bank_page(request, _get_batch(request, pk))


def _bank_page(
    request: HttpRequest, batch: DisbursementBatch, *, forms=None, status: int = 200
) -> HttpResponse:
    user = request.user
    forms = forms or {}
    candidates = bank.bank_candidates(batch).aggregate(count=Count("id"), total=Sum("amount"))
    cash = bank.staying_on_cash(batch)
    runs = list(
        BankPaymentRun.objects.filter(batch=batch)
        .select_related("made_by", "batch__fund__unit", "batch__budget__unit")
        .annotate(line_count=Count("lines"), total=Sum("lines__amount"))
        .order_by("-made_at", "-id")[:LIST_CAP]
    )
    failed = list(
        bank.bank_lines_of(batch)
        .filter(status=BankLineStatus.FAILED)
        .select_related(
            "disbursement__file",
            "disbursement__batch__fund__unit",
            "disbursement__batch__budget__unit",
        )
        .order_by("reference")[:LIST_CAP]
    )
    queued = bank.bank_lines_of(batch).filter(status=BankLineStatus.QUEUED).count()
    may_export = bank.may_export_bank_file(user, batch)
    payer = bank.batch_payer(batch)
    return render(
        request,
        "funds/bank_detail.html",
        {
            "batch": batch,
            "candidates": candidates,
            "queued": queued,
            "cash_rows": list(
                cash.select_related("file")
                .order_by("file__name", "id")[:LIST_CAP]
                .values("pk", "file__name", "file__id_number_masked", "amount")
            ),
            "cash_count": cash.count(),
            "runs": runs,
            "failed": failed,
            "reconciliation": bank.bank_reconciliation(batch),
            "layout": bank.bank_layout_for(payer),
            "payer": payer,
            "may_export": may_export,
            "may_download": bank.may_download_bank_file(user, runs[0]) if runs else False,
            "may_import": bank.may_import_bank_results(user, batch),
            # Every failed line is re-issued or paid in cash on the same terms (its batch's).
            "may_decide": bank.may_reissue_bank_line(user, failed[0]) if failed else False,
            "export_form": forms.get("export") or BankExportForm(prefix="export"),
            "result_form": forms.get("result") or BankResultForm(prefix="result"),
            "tab": "batches",
        },
        status=status,
    )


@branch_view()
@require_POST
def bank_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a payment file of the batch's payments waiting for the bank, and download it."""
    batch = _get_batch(request, pk)
    form = BankExportForm(request.POST, prefix="export")
    if form.is_valid():
        try:
            run = bank.bank_run_make(
                batch=batch, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            return _file_response(run, form.cleaned_data["fmt"])
    return _bank_page(request, batch, forms={"export": form}, status=400)


@branch_view()
@require_POST
def bank_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a payment file made before again (lost, or asked for in the other format)."""
    run = get_object_for_user(
        BankPaymentRun.objects.select_related(
            "batch__campaign", "batch__unit", "batch__fund__unit", "batch__budget__unit"
        ),
        user=request.user,
        unit_path="batch__unit__path",
        pk=pk,
    )
    form = BankExportForm(request.POST, prefix="again")
    if form.is_valid():
        try:
            bank.bank_file_download(run=run, by=request.user, reason=form.cleaned_data["reason"])
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
        else:
            return _file_response(run, form.cleaned_data["fmt"])
    else:
        messages.error(request, _("Say why the full account numbers leave the system."))
    return redirect(_bank_url(run.batch))


@branch_view()
@require_POST
def bank_results(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the bank's result file to a worker, whose job page says how it went: all of it
    applied, or nothing with each bad line listed."""
    batch = _get_batch(request, pk)
    form = BankResultForm(request.POST, request.FILES, prefix="result")
    if form.is_valid():
        try:
            job = bank.bank_results_request(
                batch=batch,
                by=request.user,
                upload=form.cleaned_data["upload"],
                language=request.LANGUAGE_CODE,
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            return redirect(job)
    return _bank_page(request, batch, forms={"result": form}, status=400)


def _decide_line(request: HttpRequest, pk: int, *, form_class, prefix: str, act, done: str):
    line = _get_line(request, pk)
    batch = line.disbursement.batch
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            act(line, request.user, form.cleaned_data)
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
        else:
            messages.success(request, done)
            return redirect(_bank_url(batch))
    else:
        report_refusal(
            request,
            ValidationError([error for errors in form.errors.values() for error in errors]),
        )
    return redirect(_bank_url(batch))


@branch_view()
@require_POST
def bank_line_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_line(
        request,
        pk,
        form_class=ReissueForm,
        prefix="reissue",
        act=lambda line, by, data: bank.bank_line_reissue(
            line=line,
            by=by,
            account=data["account"],
            bank_name=data["bank_name"],
            reason=data["reason"],
        ),
        done=_("The line is re-issued: it goes in the next payment file."),
    )


@branch_view()
@require_POST
def bank_line_cash(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_line(
        request,
        pk,
        form_class=CashForm,
        prefix="cash",
        act=lambda line, by, data: bank.bank_line_to_cash(line=line, by=by, reason=data["reason"]),
        done=_("The payment is back on the cash roster, to be signed for."),
    )
